// Colours that stay distinguishable with colour-vision deficiencies (Paul Tol's "muted" scheme).
import Foundation

/// Colours for series and classes.
public enum Palette {
    /// Tol's muted qualitative palette (9 colours) plus grey; classes beyond 10 reuse them.
    public static let qualitative = ["#332288", "#88CCEE", "#44AA99", "#117733", "#999933",
                                     "#DDCC77", "#CC6677", "#882255", "#AA4499", "#777777"]
    public static func colour(_ i: Int) -> String { qualitative[((i % qualitative.count) + qualitative.count) % qualitative.count] }

    /// A sequential scale from light yellow to dark blue (Tol's "YlGnBu"-like), t in [0, 1].
    public static func sequential(_ t: Double) -> String {
        let stops: [(Double, Double, Double)] = [(255, 255, 217), (199, 233, 180), (127, 205, 187), (65, 182, 196),
                                                 (29, 145, 192), (34, 94, 168), (12, 44, 132)]
        let x = min(max(t.isFinite ? t : 0, 0), 1) * Double(stops.count - 1)
        let i = min(Int(x), stops.count - 2), f = x - Double(i)
        let c = (0..<3).map { k -> Int in
            let a = [stops[i].0, stops[i].1, stops[i].2][k], b = [stops[i + 1].0, stops[i + 1].1, stops[i + 1].2][k]
            return Int((a + (b - a) * f).rounded())
        }
        return String(format: "#%02X%02X%02X", c[0], c[1], c[2])
    }

    /// Black or white text, whichever reads better on the sequential colour at t.
    public static func textOn(_ t: Double) -> String { t > 0.55 ? "#ffffff" : "#111111" }
}
