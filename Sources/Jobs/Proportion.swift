// How sure a rate over a few runs is: a cell's collapse rate of 3 of 30 could be 0.03 or 0.26 with
// other seeds, and a page that prints 0.10 alone invites reading a difference of one run as real.
import Foundation

/// A proportion's confidence interval.
public enum Proportion {
    /// The 95 % Wilson score interval of `successes` out of `trials` (nil for no trials or a count
    /// outside 0…trials): the p whose normal test of the observed p̂ = k/n is not rejected at z = 1.96,
    /// i.e. the roots of (p̂ − p)² = z² p(1 − p)/n, which are
    /// (p̂ + z²/2n ± z √(p̂(1 − p̂)/n + z²/4n²)) / (1 + z²/n). Unlike p̂ ± z·√(p̂(1 − p̂)/n) it stays within
    /// [0, 1] and does not shrink to a point at 0 of n or n of n (0 of 30: 0–0.11).
    public static func wilson95(_ successes: Int, of trials: Int) -> ClosedRange<Double>? {
        guard trials > 0, (0...trials).contains(successes) else { return nil }
        let z = 1.959963984540054, n = Double(trials), p = Double(successes) / n
        let centre = p + z * z / (2 * n)
        let half = z * (p * (1 - p) / n + z * z / (4 * n * n)).squareRoot()
        let scale = 1 + z * z / n
        // At 0 of n the lower root is 0 exactly (and the upper 1 at n of n); rounding could miss it by 1e-17.
        let lower = successes == 0 ? 0 : max(0, (centre - half) / scale)
        let upper = successes == trials ? 1 : min(1, (centre + half) / scale)
        return lower...upper
    }
}
