// float64 inputs become Float32 without overflow, underflow to zero or a spread rounded away.
import Foundation
import Testing
import Linalg
@testable import Datasets

@Suite struct Float32ConversionTests {
    func load(_ m: Matrix<Double>) throws -> LabeledData {
        let labels = (0..<m.rows).map { $0 % 2 }
        return try NPYLoader.load(features: NPYWriter.encode(m), labels: NPYWriter.encode(labels: labels), name: "x",
                                  featuresField: "embeddings", labelsField: "labels")
    }

    @Test func valuesOutsideFloat32RangeAreScaledExactly() throws {
        let base = Matrix<Double>([[0.5, -1], [2, 3], [-4, 0.25], [1, 1]])
        for scale in [1e-170, 1e140, 1e-30, 1e30] {
            var m = base
            for i in 0..<m.storage.count { m.storage[i] *= scale }
            let data = try load(m)
            #expect(data.conversion.unit != 1 && data.conversion.offset == nil)
            // features × unit gives the input back (to Float32's precision), nothing underflows or overflows.
            for i in 0..<m.storage.count {
                let back = Double(data.features.storage[i]) * data.conversion.unit
                #expect(abs(back - m.storage[i]) <= 1e-7 * abs(m.storage[i]), "\(scale): \(back) vs \(m.storage[i])")
            }
        }
        // Ordinary values are kept as they are.
        #expect(try load(base).conversion == .identity)
    }

    @Test func aTightCloudFarFromTheOriginIsCentredNotRoundedAway() throws {
        // Spread 1e-6 at 1e3: Float32 would keep about 6 bits of every difference; centred it keeps all.
        let m = Matrix<Double>([[1000, 1000], [1000 + 1e-6, 1000], [1000, 1000 + 2e-6], [1000 + 3e-6, 1000 + 1e-6]])
        let data = try load(m)
        #expect(data.conversion.offset != nil)
        let d01 = abs(Double(data.features[1, 0] - data.features[0, 0])) * data.conversion.unit
        #expect(abs(d01 - 1e-6) < 1e-12, "difference \(d01)")
    }

    @Test func nonFiniteValuesAreNamed() throws {
        var m = Matrix<Double>([[0, 1], [2, 3], [4, 5], [6, 7]])
        m[2, 1] = .nan
        #expect(throws: DatasetError(field: "embeddings", "row 2, column 1 is NaN; remove or impute non-finite values")) { _ = try load(m) }
    }
}
