// Sorted values with a few marked entries: the discrepancy |d_f − d_f*| over all pairs (the paper's
// Figure 4) with the hardest triplet's two pairs marked (Figure 5).
import Foundation

/// Values in descending order as a filled profile, with named markers at chosen entries.
public struct SortedPlot: Sendable {
    public var id: String
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var values: [Double]
    /// Entries (indices into `values`) to mark, with their labels.
    public var marks: [(index: Int, label: String)]

    public init(id: String, title: String, xLabel: String, yLabel: String, values: [Double], marks: [(index: Int, label: String)]) {
        self.id = id
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.values = values
        self.marks = marks
    }

    public var svg: String {
        let order = values.indices.sorted { values[$0] > values[$1] }
        let rank = Dictionary(order.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let n = max(values.count, 2)
        let frame = Frame(x: 0...Double(n - 1), y: paddedRange(values, includeZero: true))
        let colours = ["#CC3311", "#117733"]
        let legend = Frame.legend(marks.enumerated().filter { rank[$1.index] != nil }.map { LegendEntry($1.label, colours[min($0, 1)], .marker) })
        var s = Frame.open(title: title, id: id, extra: legend.height)
        s += frame.axes(xLabel: xLabel, yLabel: yLabel)
        // Thin the profile to at most ~600 vertices: it is monotone, so nothing visible is lost.
        let stride = max(1, order.count / 600)
        var pts = ["\(fmt(frame.px(0))),\(fmt(frame.py(0)))"]
        for (r, i) in order.enumerated() where r % stride == 0 || r == order.count - 1 {
            pts.append("\(fmt(frame.px(Double(r)))),\(fmt(frame.py(values[i])))")
        }
        pts.append("\(fmt(frame.px(Double(max(order.count - 1, 0))))),\(fmt(frame.py(0)))")
        s += "<polygon points=\"\(pts.joined(separator: " "))\" fill=\"#88CCEE\" fill-opacity=\"0.6\" stroke=\"#332288\" stroke-width=\"1.5\" class=\"data\"/>\n"
        for (k, m) in marks.enumerated() {
            guard let r = rank[m.index] else { continue }
            let x = frame.px(Double(r)), y = frame.py(values[m.index])
            let colour = colours[min(k, 1)]
            s += "<line x1=\"\(fmt(x))\" y1=\"\(fmt(Frame.top))\" x2=\"\(fmt(x))\" y2=\"\(fmt(Frame.height - Frame.bottom))\" stroke=\"\(colour)\" stroke-dasharray=\"4 3\"/>\n"
            s += "<circle cx=\"\(fmt(x))\" cy=\"\(fmt(y))\" r=\"5\" fill=\"\(colour)\"/>\n"
        }
        s += legend.svg
        return s + "</svg>\n"
    }
}
