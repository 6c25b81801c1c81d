// Embedding scatter plots coloured by class, with optional f(x) → f*(x) arrows (the paper's Figure 3).
import Foundation

/// Points in the plane coloured by class; arrows from each point to its image, the longest highlighted.
public struct ScatterPlot: Sendable {
    public var id: String
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var points: [(x: Double, y: Double, label: Int)]
    /// Display names of the labels, in legend order.
    public var classes: [(label: Int, name: String)]
    /// Arrow heads, one per point (same order), or empty.
    public var arrowTo: [(x: Double, y: Double)] = []
    /// How many of the longest arrows are drawn highlighted.
    public var highlightLongest = 5
    /// Half the width of both axes, centred on the points (nil: fit the points). Plots of one run drawn
    /// with the same span share a scale, so a collapsed cloud looks like the dot it is.
    public var span: Double?

    public init(id: String, title: String, xLabel: String, yLabel: String, points: [(x: Double, y: Double, label: Int)],
                classes: [(label: Int, name: String)], arrowTo: [(x: Double, y: Double)] = []) {
        self.id = id
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.points = points
        self.classes = classes
        self.arrowTo = arrowTo
    }

    public var svg: String {
        let xs = points.map(\.x) + arrowTo.map(\.x), ys = points.map(\.y) + arrowTo.map(\.y)
        var frame = Frame(x: paddedRange(xs), y: paddedRange(ys))
        if let span, span > 0, !points.isEmpty {
            let cx = points.map(\.x).reduce(0, +) / Double(points.count), cy = points.map(\.y).reduce(0, +) / Double(points.count)
            frame = Frame(x: (cx - span)...(cx + span), y: (cy - span)...(cy + span))
        }
        let colourOf = Dictionary(classes.enumerated().map { ($1.label, Palette.colour($0)) }, uniquingKeysWith: { a, _ in a })
        var entries = classes.prefix(12).enumerated().map { LegendEntry("class \($1.name)", Palette.colour($0), .dot) }
        if !arrowTo.isEmpty { entries.append(LegendEntry("longest f → f*", "#CC3311", .line)) }
        let legend = Frame.legend(entries)
        var s = Frame.open(title: title, id: id, extra: legend.height)
        s += frame.axes(xLabel: xLabel, yLabel: yLabel)
        if !arrowTo.isEmpty {
            s += "<defs><marker id=\"\(id)-head\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555\"/></marker>"
            s += "<marker id=\"\(id)-hot\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#CC3311\"/></marker></defs>\n"
            let lengths = zip(points, arrowTo).map { hypot($1.x - $0.x, $1.y - $0.y) }
            let longest = Set(lengths.indices.sorted { lengths[$0] > lengths[$1] }.prefix(highlightLongest).filter { lengths[$0] > 0 })
            for (i, (p, q)) in zip(points, arrowTo).enumerated() where lengths[i] > 0 {
                let hot = longest.contains(i)
                s += "<line x1=\"\(fmt(frame.px(p.x)))\" y1=\"\(fmt(frame.py(p.y)))\" x2=\"\(fmt(frame.px(q.x)))\" y2=\"\(fmt(frame.py(q.y)))\" stroke=\"\(hot ? "#CC3311" : "#555")\" stroke-width=\"\(hot ? 2 : 1)\" stroke-opacity=\"\(hot ? 1 : 0.6)\" marker-end=\"url(#\(id)-\(hot ? "hot" : "head"))\"/>\n"
            }
        }
        for p in points {
            s += "<circle cx=\"\(fmt(frame.px(p.x)))\" cy=\"\(fmt(frame.py(p.y)))\" r=\"3\" fill=\"\(colourOf[p.label] ?? "#777777")\" fill-opacity=\"0.85\" class=\"data\"/>\n"
        }
        s += legend.svg
        return s + "</svg>\n"
    }
}
