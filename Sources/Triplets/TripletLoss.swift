// Triplet loss settings: hinge or soft (softplus) on Euclidean or squared Euclidean distances.
import Linalg

/// The per-triplet loss applied to `m = d(a,p) − d(a,n) + α`.
public enum TripletLossKind: String, Sendable, Codable, CaseIterable {
    /// `[m]₊`.
    case hinge
    /// `softplus(m) = log(1 + eᵐ)`.
    case soft
}

/// The distance the loss is measured in.
public enum DistanceKind: String, Sendable, Codable, CaseIterable {
    /// ‖a − b‖; the gradient of √ at 0 is taken as 0, as PyTorch does.
    case euclidean
    /// ‖a − b‖².
    case squared
}

/// A triplet loss: kind, margin α and distance.
public struct TripletLossConfig: Sendable, Codable, Equatable {
    public var kind: TripletLossKind
    public var margin: Double
    public var distance: DistanceKind

    public init(kind: TripletLossKind = .hinge, margin: Double = 0.2, distance: DistanceKind = .euclidean) {
        self.kind = kind
        self.margin = margin
        self.distance = distance
    }

    /// Loss of one triplet with `m = d⁺ − d⁻ + α`.
    @inlinable public func value<T: BLASReal>(_ m: T) -> T {
        switch kind {
        case .hinge: return m > 0 ? m : 0
        case .soft: return m > 0 ? m + T.log1p(T.exp(-m)) : T.log1p(T.exp(m))
        }
    }

    /// d(loss)/dm.
    @inlinable public func derivative<T: BLASReal>(_ m: T) -> T {
        switch kind {
        case .hinge: return m > 0 ? 1 : 0
        case .soft: return m >= 0 ? 1 / (1 + T.exp(-m)) : T.exp(m) / (1 + T.exp(m))
        }
    }

    /// The loss every triplet has when all embeddings coincide (d⁺ = d⁻ = 0): α for hinge, softplus(α) for soft.
    public var collapsedValue: Double { value(margin) }

    /// The margin as a distance, what the verdict judges embeddings against: α, or √α for a loss on
    /// squared distances (where α is a squared length).
    public var marginDistance: Double { distance == .squared ? margin.squareRoot() : margin }
}
