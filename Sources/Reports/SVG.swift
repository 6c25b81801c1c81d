// Building SVG text: escaping, number formatting, and the frame every chart shares (axes, ticks, labels, legend).
import Foundation

/// Escapes text for XML/HTML content and attribute values (every user string goes through this).
public func escapeXML(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    for c in s.unicodeScalars {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        // Characters XML 1.0 forbids (C0 controls other than tab, newline, return) are dropped.
        case "\u{0}"..."\u{8}", "\u{B}", "\u{C}", "\u{E}"..."\u{1F}", "\u{FFFE}", "\u{FFFF}": continue
        default: out.unicodeScalars.append(c)
        }
    }
    return out
}

/// A coordinate with at most 2 decimals (keeps the SVG small).
func fmt(_ v: Double) -> String {
    guard v.isFinite else { return "0" }
    let r = (v * 100).rounded() / 100
    if r == r.rounded() && abs(r) < 1e15 { return String(Int64(r)) }
    return String(r)
}

/// A tick label: short, without trailing zeros.
func tickLabel(_ v: Double) -> String {
    if v == 0 { return "0" }
    let a = abs(v)
    if a >= 1e5 || a < 1e-3 {
        var s = String(format: "%.1e", v)
        s = s.replacingOccurrences(of: ".0e", with: "e")
        return s
    }
    var s = String(format: a >= 100 ? "%.0f" : a >= 1 ? "%.2f" : "%.3f", v)
    while s.contains(".") && (s.hasSuffix("0") || s.hasSuffix(".")) { s.removeLast() }
    return s
}

/// About `count` round tick values covering [lo, hi] (1, 2 or 5 × 10^k steps).
func niceTicks(_ lo: Double, _ hi: Double, count: Int = 5) -> [Double] {
    guard hi > lo, lo.isFinite, hi.isFinite else { return [lo] }
    let raw = (hi - lo) / Double(max(count, 1))
    let magnitude = pow(10, floor(log10(raw)))
    let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
    var ticks: [Double] = []
    var t = ceil(lo / step - 1e-9) * step
    while t <= hi + step * 1e-9 {
        ticks.append(abs(t) < step * 1e-9 ? 0 : t)
        t += step
    }
    return ticks
}

/// A data range padded a little, never empty.
func paddedRange(_ values: [Double], includeZero: Bool = false) -> ClosedRange<Double> {
    let finite = values.filter(\.isFinite)
    var lo = finite.min() ?? 0, hi = finite.max() ?? 1
    if includeZero { lo = min(lo, 0); hi = max(hi, 0) }
    if hi - lo < 1e-12 { let d = max(abs(hi) * 0.1, 1e-3); lo -= d; hi += d }
    let pad = (hi - lo) * 0.05
    return (includeZero && lo == 0 ? 0 : lo - pad)...(hi + pad)
}

/// The plotting area of a chart: a linear map from data to pixels inside fixed margins.
struct Frame {
    static let width = 640.0, height = 360.0
    static let left = 64.0, right = 16.0, top = 36.0, bottom = 48.0
    var x: ClosedRange<Double>
    var y: ClosedRange<Double>

    var plotWidth: Double { Frame.width - Frame.left - Frame.right }
    var plotHeight: Double { Frame.height - Frame.top - Frame.bottom }

    func px(_ v: Double) -> Double { Frame.left + (v - x.lowerBound) / (x.upperBound - x.lowerBound) * plotWidth }
    func py(_ v: Double) -> Double { Frame.top + (1 - (v - y.lowerBound) / (y.upperBound - y.lowerBound)) * plotHeight }

    /// `<svg>` opening tag with an accessible title; `extra` units of height below the frame hold the legend.
    static func open(title: String, id: String, extra: Double = 0) -> String {
        """
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(fmt(width)) \(fmt(height + extra))" role="img" aria-labelledby="\(id)-title" class="chart" font-family="system-ui, sans-serif" font-size="13">
        <title id="\(id)-title">\(escapeXML(title))</title>
        <rect x="0" y="0" width="\(fmt(width))" height="\(fmt(height + extra))" fill="#ffffff"/>
        <text x="\(fmt(left))" y="20" font-size="14" font-weight="600" fill="#222">\(escapeXML(title))</text>

        """
    }

    /// Axes, grid lines, tick labels and axis labels.
    func axes(xLabel: String, yLabel: String, xTicks: [Double]? = nil, yTicks: [Double]? = nil) -> String {
        var s = ""
        for t in yTicks ?? niceTicks(y.lowerBound, y.upperBound) where y.contains(t) {
            s += "<line x1=\"\(fmt(Frame.left))\" y1=\"\(fmt(py(t)))\" x2=\"\(fmt(Frame.width - Frame.right))\" y2=\"\(fmt(py(t)))\" stroke=\"#e5e5e5\"/>\n"
            s += "<text x=\"\(fmt(Frame.left - 6))\" y=\"\(fmt(py(t) + 4))\" text-anchor=\"end\" fill=\"#444\">\(tickLabel(t))</text>\n"
        }
        for t in xTicks ?? niceTicks(x.lowerBound, x.upperBound, count: 6) where x.contains(t) {
            s += "<line x1=\"\(fmt(px(t)))\" y1=\"\(fmt(Frame.height - Frame.bottom))\" x2=\"\(fmt(px(t)))\" y2=\"\(fmt(Frame.height - Frame.bottom + 4))\" stroke=\"#444\"/>\n"
            s += "<text x=\"\(fmt(px(t)))\" y=\"\(fmt(Frame.height - Frame.bottom + 17))\" text-anchor=\"middle\" fill=\"#444\">\(tickLabel(t))</text>\n"
        }
        s += "<rect x=\"\(fmt(Frame.left))\" y=\"\(fmt(Frame.top))\" width=\"\(fmt(plotWidth))\" height=\"\(fmt(plotHeight))\" fill=\"none\" stroke=\"#444\"/>\n"
        s += "<text x=\"\(fmt(Frame.left + plotWidth / 2))\" y=\"\(fmt(Frame.height - 8))\" text-anchor=\"middle\" fill=\"#222\">\(escapeXML(xLabel))</text>\n"
        s += "<text transform=\"translate(14 \(fmt(Frame.top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\" fill=\"#222\">\(escapeXML(yLabel))</text>\n"
        return s
    }

    /// The legend, below the frame (under the x-axis label), entries flowing left to right in rows: it
    /// never covers data, and marker and reference-line labels live here too, so no label sits on a line.
    /// Returns the SVG and the height it takes (pass it to `open` as `extra`).
    static func legend(_ entries: [LegendEntry]) -> (svg: String, height: Double) {
        guard !entries.isEmpty else { return ("", 0) }
        let rowHeight = 18.0, gap = 16.0, maxWidth = width - 16
        var rows: [[(LegendEntry, String, Double)]] = [[]]
        var used = 0.0
        for e in entries {
            // Names longer than a row are shortened (the full name is in the entry's tooltip).
            let name = e.name.count > 70 ? String(e.name.prefix(69)) + "…" : e.name
            // 13-unit system-ui text averages under 7.5 units per character.
            let w = 26 + Double(name.count) * 7.5
            if used > 0, used + w > maxWidth { rows.append([]); used = 0 }
            rows[rows.count - 1].append((e, name, w))
            used += w + gap
        }
        var s = "<g class=\"legend\">\n"
        for (r, row) in rows.enumerated() {
            var x = 8.0
            let y = height + 12 + rowHeight * Double(r)
            for (e, name, w) in row {
                s += "<g><title>\(escapeXML(e.name))</title>" + e.swatch(x: x, baseline: y)
                s += "<text x=\"\(fmt(x + 24))\" y=\"\(fmt(y))\" fill=\"#222\">\(escapeXML(name))</text></g>\n"
                x += w + gap
            }
        }
        return (s + "</g>\n", rowHeight * Double(rows.count) + 8)
    }
}

/// One entry of a chart's legend: a name and the swatch that matches how it is drawn.
struct LegendEntry {
    enum Style { case line, dashed, band, dot, marker, level }
    var name: String
    var colour: String
    var style: Style

    init(_ name: String, _ colour: String, _ style: Style) {
        self.name = name
        self.colour = colour
        self.style = style
    }

    func swatch(x: Double, baseline y: Double) -> String {
        let mid = y - 4
        switch style {
        case .line, .dashed:
            return "<line x1=\"\(fmt(x))\" y1=\"\(fmt(mid))\" x2=\"\(fmt(x + 18))\" y2=\"\(fmt(mid))\" stroke=\"\(colour)\" stroke-width=\"3\"\(style == .dashed ? " stroke-dasharray=\"5 3\"" : "")/>"
        case .level:
            return "<line x1=\"\(fmt(x))\" y1=\"\(fmt(mid))\" x2=\"\(fmt(x + 18))\" y2=\"\(fmt(mid))\" stroke=\"\(colour)\" stroke-width=\"1.5\" stroke-dasharray=\"2 3\"/>"
        case .band:
            return "<rect x=\"\(fmt(x))\" y=\"\(fmt(mid - 5))\" width=\"18\" height=\"10\" fill=\"\(colour)\" fill-opacity=\"0.3\" stroke=\"\(colour)\"/>"
        case .dot:
            return "<circle cx=\"\(fmt(x + 9))\" cy=\"\(fmt(mid))\" r=\"4\" fill=\"\(colour)\"/>"
        case .marker:
            return "<line x1=\"\(fmt(x + 9))\" y1=\"\(fmt(mid - 7))\" x2=\"\(fmt(x + 9))\" y2=\"\(fmt(mid + 7))\" stroke=\"\(colour)\" stroke-width=\"2\" stroke-dasharray=\"4 3\"/>"
        }
    }
}
