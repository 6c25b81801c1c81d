// A grid of coloured cells with their values written in, each cell optionally a link (sweep pages).
import Foundation

/// Rows × columns of values on a sequential colour scale.
public struct Heatmap: Sendable {
    public var id: String
    public var title: String
    public var rowLabel: String
    public var columnLabel: String
    public var rows: [String]
    public var columns: [String]
    /// values[row][column]; nil draws an empty (grey) cell.
    public var values: [[Double?]]
    /// The scale's ends (values outside are clamped).
    public var range: ClosedRange<Double>
    /// links[row][column]: a relative URL, or nil.
    public var links: [[String?]] = []
    public var format = "%.2f"
    /// notes[row][column]: a second, smaller line under the value (e.g. its standard error), or nil.
    public var notes: [[String?]] = []

    public init(id: String, title: String, rowLabel: String, columnLabel: String, rows: [String], columns: [String],
                values: [[Double?]], range: ClosedRange<Double>, links: [[String?]] = [], format: String = "%.2f",
                notes: [[String?]] = []) {
        self.id = id
        self.title = title
        self.rowLabel = rowLabel
        self.columnLabel = columnLabel
        self.rows = rows
        self.columns = columns
        self.values = values
        self.range = range
        self.links = links
        self.format = format
        self.notes = notes
    }

    public var svg: String {
        // The row axis's label ends where the column headers begin (both near y = 60): the grid starts
        // after it, at about 8 px a character of 13 px text, so a long axis name cannot run into them.
        let left = max(120.0, 16 + 8 * Double(rowLabel.count + 2))
        let top = 70.0, cellW = min(90, 500 / Double(max(columns.count, 1))), cellH = 34.0
        let width = max(left + cellW * Double(columns.count), left + 200) + 20, height = top + cellH * Double(rows.count) + 44
        var s = """
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(fmt(width)) \(fmt(height))" role="img" aria-labelledby="\(id)-title" class="chart heatmap" font-family="system-ui, sans-serif" font-size="13">
        <title id="\(id)-title">\(escapeXML(title))</title>
        <rect x="0" y="0" width="\(fmt(width))" height="\(fmt(height))" fill="#ffffff"/>
        <text x="8" y="20" font-size="14" font-weight="600" fill="#222">\(escapeXML(title))</text>
        <text x="\(fmt(left + cellW * Double(columns.count) / 2))" y="38" text-anchor="middle" fill="#222">\(escapeXML(columnLabel))</text>
        <text x="8" y="56" fill="#222">\(escapeXML(rowLabel)) ↓</text>

        """
        for (c, name) in columns.enumerated() {
            s += "<text x=\"\(fmt(left + cellW * (Double(c) + 0.5)))\" y=\"\(fmt(top - 6))\" text-anchor=\"middle\" fill=\"#444\">\(escapeXML(name))</text>\n"
        }
        let span = max(range.upperBound - range.lowerBound, 1e-12)
        for (r, name) in rows.enumerated() {
            let y = top + cellH * Double(r)
            s += "<text x=\"\(fmt(left - 8))\" y=\"\(fmt(y + cellH / 2 + 4))\" text-anchor=\"end\" fill=\"#444\">\(escapeXML(name))</text>\n"
            for c in columns.indices {
                let x = left + cellW * Double(c)
                let value = r < values.count && c < values[r].count ? values[r][c] : nil
                let t = value.map { ($0 - range.lowerBound) / span } ?? 0
                var cell = "<rect x=\"\(fmt(x))\" y=\"\(fmt(y))\" width=\"\(fmt(cellW - 2))\" height=\"\(fmt(cellH - 2))\" fill=\"\(value == nil ? "#dddddd" : Palette.sequential(t))\"/>"
                let note = value == nil || r >= notes.count || c >= notes[r].count ? nil : notes[r][c]
                // With a note the value moves up and the note sits under it, both inside the cell.
                cell += "<text x=\"\(fmt(x + cellW / 2 - 1))\" y=\"\(fmt(y + cellH / 2 + (note == nil ? 4 : -2)))\" text-anchor=\"middle\" fill=\"\(value == nil ? "#555" : Palette.textOn(t))\">\(value.map { String(format: format, $0) } ?? "–")</text>"
                if let note {
                    cell += "<text x=\"\(fmt(x + cellW / 2 - 1))\" y=\"\(fmt(y + cellH / 2 + 12))\" text-anchor=\"middle\" font-size=\"10\" fill=\"\(Palette.textOn(t))\">\(escapeXML(note))</text>"
                }
                if r < links.count, c < links[r].count, let link = links[r][c] {
                    cell = "<a href=\"\(escapeXML(link))\">\(cell)</a>"
                }
                s += cell + "\n"
            }
        }
        let ly = top + cellH * Double(rows.count) + 16
        for k in 0..<5 {
            let t = Double(k) / 4
            s += "<rect x=\"\(fmt(left + Double(k) * 40))\" y=\"\(fmt(ly))\" width=\"40\" height=\"10\" fill=\"\(Palette.sequential(t))\"/>"
            s += "<text x=\"\(fmt(left + Double(k) * 40 + 20))\" y=\"\(fmt(ly + 24))\" text-anchor=\"middle\" fill=\"#444\">\(tickLabel(range.lowerBound + t * span))</text>\n"
        }
        return s + "</svg>\n"
    }
}
