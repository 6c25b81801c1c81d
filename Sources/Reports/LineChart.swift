// Line charts over training steps: several series, optional shaded bands (a bracket's lower..upper).
import Foundation

/// One line of a chart.
public struct Series: Sendable {
    public var name: String
    public var points: [(x: Double, y: Double)]
    public var colour: String
    public var dashed = false

    public init(name: String, points: [(x: Double, y: Double)], colour: String, dashed: Bool = false) {
        self.name = name
        self.points = points
        self.colour = colour
        self.dashed = dashed
    }
}

/// A shaded region between two curves over the same x values.
public struct Band: Sendable {
    public var name: String
    public var x: [Double]
    public var lower: [Double]
    public var upper: [Double]
    public var colour: String

    public init(name: String, x: [Double], lower: [Double], upper: [Double], colour: String) {
        self.name = name
        self.x = x
        self.lower = lower
        self.upper = upper
        self.colour = colour
    }
}

/// A vertical line at one step: the first collapsed evaluation (red) or the collapse warning (amber),
/// named in the legend (a label in the plot would sit on the data).
public struct ChartMarker: Sendable {
    public enum Kind: Sendable { case collapse, warning }
    public var x: Double
    public var label: String
    public var kind: Kind

    public init(x: Double, label: String, kind: Kind = .collapse) {
        self.x = x
        self.label = label
        self.kind = kind
    }

    var colour: String { kind == .collapse ? "#CC3311" : "#EE7733" }
}

/// A line chart with axes, a legend, dots at the data points and optional bands.
public struct LineChart: Sendable {
    public var id: String
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var bands: [Band] = []
    /// Fixed y range (e.g. 0…1 for retrieval metrics); nil fits the data.
    public var yRange: ClosedRange<Double>?
    /// Vertical lines at these x values (the first collapsed step, the warning step).
    public var markers: [ChartMarker]
    /// Horizontal reference lines at these y values (e.g. the margin α), labelled at the right.
    public var levels: [(y: Double, label: String)]

    public init(id: String, title: String, xLabel: String, yLabel: String, series: [Series], bands: [Band] = [], yRange: ClosedRange<Double>? = nil,
                markers: [ChartMarker] = [], levels: [(y: Double, label: String)] = []) {
        self.id = id
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.bands = bands
        self.yRange = yRange
        self.markers = markers
        self.levels = levels
    }

    public var svg: String {
        // Markers widen the x range: a warning after the last evaluation so far is still drawn.
        let xs = series.flatMap { $0.points.map(\.x) } + bands.flatMap(\.x) + markers.map(\.x)
        let ys = series.flatMap { $0.points.map(\.y) } + bands.flatMap { $0.lower + $0.upper } + levels.map(\.y)
        var xr = paddedRange(xs)
        if let lo = xs.min(), let hi = xs.max(), hi > lo { xr = lo...hi }
        let frame = Frame(x: xr, y: yRange ?? paddedRange(ys, includeZero: (ys.min() ?? 0) >= 0))
        let shown = markers.filter { frame.x.contains($0.x) }, drawnLevels = levels.filter { frame.y.contains($0.y) }
        let legend = Frame.legend(bands.map { LegendEntry($0.name, $0.colour, .band) } + series.map { LegendEntry($0.name, $0.colour, $0.dashed ? .dashed : .line) }
            + drawnLevels.map { LegendEntry($0.label, "#555", .level) } + shown.map { LegendEntry($0.label, $0.colour, .marker) })
        var s = Frame.open(title: title, id: id, extra: legend.height)
        // Steps are whole numbers: no tick at step 0.5.
        var xTicks: [Double]? = nil
        if !xs.isEmpty, xs.allSatisfy({ $0 == $0.rounded() }) {
            let whole = niceTicks(frame.x.lowerBound, frame.x.upperBound, count: 6).filter { $0 == $0.rounded() }
            xTicks = whole.count >= 2 ? whole : Array(stride(from: frame.x.lowerBound.rounded(.up), through: frame.x.upperBound, by: 1))
        }
        s += frame.axes(xLabel: xLabel, yLabel: yLabel, xTicks: xTicks)
        for band in bands where !band.x.isEmpty {
            let top = zip(band.x, band.upper).map { "\(fmt(frame.px($0))),\(fmt(frame.py($1)))" }
            let bottom = zip(band.x, band.lower).reversed().map { "\(fmt(frame.px($0))),\(fmt(frame.py($1)))" }
            s += "<polygon points=\"\((top + bottom).joined(separator: " "))\" fill=\"\(band.colour)\" fill-opacity=\"0.3\" stroke=\"\(band.colour)\" stroke-width=\"1\" class=\"data\"/>\n"
        }
        for line in series where !line.points.isEmpty {
            let pts = line.points.filter { $0.y.isFinite }.map { "\(fmt(frame.px($0.x))),\(fmt(frame.py($0.y)))" }
            s += "<polyline points=\"\(pts.joined(separator: " "))\" fill=\"none\" stroke=\"\(line.colour)\" stroke-width=\"2\"\(line.dashed ? " stroke-dasharray=\"6 4\"" : "") class=\"data\"/>\n"
            if line.points.count <= 60 {
                for p in line.points where p.y.isFinite {
                    s += "<circle cx=\"\(fmt(frame.px(p.x)))\" cy=\"\(fmt(frame.py(p.y)))\" r=\"2.5\" fill=\"\(line.colour)\" class=\"data\"/>\n"
                }
            }
        }
        for level in drawnLevels {
            let y = frame.py(level.y)
            s += "<line x1=\"\(fmt(Frame.left))\" y1=\"\(fmt(y))\" x2=\"\(fmt(Frame.width - Frame.right))\" y2=\"\(fmt(y))\" stroke=\"#555\" stroke-width=\"1\" stroke-dasharray=\"2 3\"/>\n"
        }
        for marker in shown {
            let x = frame.px(marker.x)
            s += "<line x1=\"\(fmt(x))\" y1=\"\(fmt(Frame.top))\" x2=\"\(fmt(x))\" y2=\"\(fmt(Frame.height - Frame.bottom))\" stroke=\"\(marker.colour)\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\" class=\"marker-\(marker.kind)\"/>\n"
        }
        s += legend.svg
        return s + "</svg>\n"
    }
}
