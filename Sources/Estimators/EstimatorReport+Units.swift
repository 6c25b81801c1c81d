// The estimators compute on points scaled to unit magnitude and report in the input's units.
import Foundation
import Isometry
import Linalg

/// Scaling by a power of two: exact in binary floating point (barring underflow of values far below the
/// largest), so every number of an ordinary input is unchanged, while inputs near the ends of Double's
/// range (1e-170, 1e140) are analysed where their squared distances neither underflow nor overflow.
enum UnitScale {
    /// The points divided by s = 2^e with the largest finite magnitude in [0.5, 1), and s (1 for zeros).
    static func scaled(_ x: Matrix<Double>) -> (Matrix<Double>, Double) {
        let largest = x.storage.reduce(0.0) { $1.isFinite ? max($0, abs($1)) : $0 }
        guard largest > 0 else { return (x, 1) }
        let unit = Double(sign: .plus, exponent: largest.exponent + 1, significand: 1)
        guard unit != 1 else { return (x, 1) }
        var y = x
        for i in 0..<y.storage.count { y.storage[i] /= unit }
        return (y, unit)
    }

    /// Options whose lengths (margin, reference scale) are in the scaled units.
    static func options(_ o: EstimatorOptions, unit: Double) -> EstimatorOptions {
        var scaled = o
        scaled.margin = o.margin / unit
        scaled.referenceScale = o.referenceScale.map { $0 / unit }
        return scaled
    }
}

extension EstimatorReport {
    /// States every length in the input's units (× `unit`) and sets the diagnosis there.
    mutating func rescale(by unit: Double, options: EstimatorOptions) {
        if unit != 1 {
            func bracket(_ b: Bracket) -> Bracket {
                var out = b
                out.lower *= unit
                out.upper *= unit
                out.lowerBound?.value *= unit
                return out
            }
            func width(_ t: Thickness) -> Thickness {
                var out = t
                out.lower *= unit
                out.upper *= unit
                out.diameter *= unit
                return out
            }
            lHard *= unit
            dIso = bracket(dIso)
            dHaus = bracket(dHaus)
            checks.theorem3Margin *= unit
            fStar.classHausdorff *= unit
            thickness = width(thickness)
            diameter *= unit
            classThickness = classThickness.map { var c = $0; c.thickness = width($0.thickness); return c }
            collapse = collapse.scaled(by: unit)
        }
        diagnosis = Diagnosis(inputs(margin: options.margin, untrained: options.untrained, referenceKappa: options.referenceKappa,
                                         referenceRows: options.referenceRows))
        verdict = diagnosis.verdict
    }
}

extension FStarPoints {
    /// The same points in units × `unit`.
    func scaled(by unit: Double) -> FStarPoints {
        guard unit != 1 else { return self }
        func times(_ m: Matrix<Double>) -> Matrix<Double> {
            var out = m
            for i in 0..<out.storage.count { out.storage[i] *= unit }
            return out
        }
        var out = self
        out.f = times(f)
        out.isometric = times(isometric)
        out.hausdorff = times(hausdorff)
        return out
    }
}
