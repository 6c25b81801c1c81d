// Report pages in a real headless browser (chromium), at a desktop width (1280 px) and a phone width
// (390 px): the page body never scrolls sideways (wide charts and tables scroll inside their own box),
// and no text is drawn smaller than 11 px. A script appended to a copy of each page measures the laid-out
// page (in an iframe of the wanted width) and posts its findings to the host page, which `--dump-dom` returns. Screenshots of the job page are taken too.
import Foundation
import TestSupport
import Testing
import Vocabulary
import Datasets
import Jobs
@testable import Reports

/// Runs chromium headless and returns its stdout.
func chromium(_ arguments: [String]) throws -> String {
    let candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
    guard let exe = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
        throw ReportError("no chromium: install it (apt-get install chromium; deploy/install-deps.sh does)")
    }
    // As root chromium needs --no-sandbox; the pages are local files we wrote. Its output goes to a
    // file, not a pipe: a helper it leaves behind (the crash handler) would hold a pipe open.
    let r = try runCommand(exe, ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run", "--disable-dev-shm-usage"] + arguments,
                           within: 180)
    return r.out
}

/// Measures a laid-out page: horizontal overflow of the body, the smallest SVG text (font size times the
/// SVG's scale on screen) and the smallest HTML text.
let layoutProbe = """
<script>
(function () {
  var d = document.documentElement, b = document.body;
  var overflow = Math.max(d.scrollWidth, b.scrollWidth) - d.clientWidth;
  var minSvg = 1e9, svgSample = "";
  document.querySelectorAll("svg text").forEach(function (t) {
    if (!t.textContent.trim()) return;
    var px = parseFloat(getComputedStyle(t).fontSize) * t.ownerSVGElement.getScreenCTM().a;
    if (px < minSvg) { minSvg = px; svgSample = t.textContent.slice(0, 40); }
  });
  var minHtml = 1e9, htmlSample = "";
  document.querySelectorAll("body *").forEach(function (e) {
    if (e.closest("svg") || e.id === "layout-result") return;
    var own = Array.prototype.some.call(e.childNodes, function (n) { return n.nodeType === 3 && n.textContent.trim(); });
    if (!own) return;
    var px = parseFloat(getComputedStyle(e).fontSize);
    if (px < minHtml) { minHtml = px; htmlSample = e.tagName + ": " + e.textContent.trim().slice(0, 40); }
  });
  // Words broken across lines: a run of letters or digits laid out on two lines although it is narrower
  // than the page (a word wider than the page may break: it cannot fit anywhere; a squeezed table
  // column is no excuse, since the table can widen and scroll in its box).
  var broken = [], room = d.clientWidth - 32;
  var walker = document.createTreeWalker(b, NodeFilter.SHOW_TEXT), node;
  while ((node = walker.nextNode())) {
    var host = node.parentElement;
    if (!host || host.closest("svg, script, style, #layout-result")) continue;
    var re = /[\\p{L}\\p{N}]+/gu, m;
    while ((m = re.exec(node.data))) {
      if (m[0].length < 2) continue;
      var range = document.createRange();
      range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);
      var rects = Array.prototype.filter.call(range.getClientRects(), function (r) { return r.width > 0; });
      var tops = {};
      rects.forEach(function (r) { tops[Math.round(r.top)] = true; });
      if (Object.keys(tops).length < 2) continue;
      var wide = rects.reduce(function (a, r) { return a + r.width; }, 0);
      if (wide <= room) broken.push(host.tagName + ": " + m[0]);
    }
  }
  // Labels on data: a chart's legend, or any of its texts, over a point of a data line, dot or band.
  var covered = [];
  document.querySelectorAll("svg.chart").forEach(function (svg) {
    var pts = [];
    svg.querySelectorAll(".data").forEach(function (e) {
      var ctm = e.getScreenCTM();
      function add(x, y) { var p = svg.createSVGPoint(); p.x = x; p.y = y; p = p.matrixTransform(ctm); pts.push([p.x, p.y]); }
      if (e.tagName === "circle") { add(e.cx.baseVal.value, e.cy.baseVal.value); return; }
      var v = Array.prototype.map.call(e.points, function (q) { return [q.x, q.y]; });
      for (var i = 0; i < v.length; i++) {
        add(v[i][0], v[i][1]);
        if (i + 1 < v.length) {
          var n = Math.ceil(Math.hypot(v[i + 1][0] - v[i][0], v[i + 1][1] - v[i][1]) / 2);
          for (var k = 1; k < n; k++) add(v[i][0] + (v[i + 1][0] - v[i][0]) * k / n, v[i][1] + (v[i + 1][1] - v[i][1]) * k / n);
        }
      }
    });
    var boxes = Array.prototype.slice.call(svg.querySelectorAll("g.legend, text"));
    boxes.forEach(function (t) {
      var r = t.getBoundingClientRect();
      if (r.width === 0) return;
      var hit = pts.some(function (p) { return p[0] > r.left + 1 && p[0] < r.right - 1 && p[1] > r.top + 1 && p[1] < r.bottom - 1; });
      if (hit) covered.push((svg.querySelector("title") || {}).textContent + ": " + (t.tagName === "g" ? "legend" : t.textContent.slice(0, 40)));
    });
  });
  // Texts on texts: two labels of one chart whose boxes overlap (by more than a pixel each way).
  var crossed = [];
  document.querySelectorAll("svg.chart").forEach(function (svg) {
    var texts = Array.prototype.filter.call(svg.querySelectorAll("text"), function (t) { return t.textContent.trim() && t.getBoundingClientRect().width > 0; });
    for (var i = 0; i < texts.length; i++) for (var j = i + 1; j < texts.length; j++) {
      var a = texts[i].getBoundingClientRect(), c = texts[j].getBoundingClientRect();
      if (Math.min(a.right, c.right) - Math.max(a.left, c.left) > 1 && Math.min(a.bottom, c.bottom) - Math.max(a.top, c.top) > 1)
        crossed.push((svg.querySelector("title") || {}).textContent + ": " + texts[i].textContent.slice(0, 30) + " / " + texts[j].textContent.slice(0, 30));
    }
  });
  parent.postMessage("LAYOUT " + JSON.stringify({width: d.clientWidth, overflow: overflow, minSvg: minSvg, svgSample: svgSample, minHtml: minHtml, htmlSample: htmlSample,
                                                 broken: broken.slice(0, 20), covered: covered.slice(0, 20), crossed: crossed.slice(0, 20)}) + " END", "*");
})();
</script>
"""

struct Layout: Decodable {
    var width: Double
    var overflow: Double
    var minSvg: Double
    var svgSample: String
    var minHtml: Double
    var htmlSample: String
    /// Words broken across lines that would fit on one line of their block ("TAG: word").
    var broken: [String]
    /// Chart texts or legends drawn over a data point ("chart title: text").
    var covered: [String]
    /// Two texts of one chart drawn over each other ("chart title: text / text").
    var crossed: [String]
}

/// Lays `html` out at `width` px and returns the probe's measurements. Headless chromium's window is at
/// least 500 px wide, so the page is laid out in an iframe of the width wanted; its probe posts the
/// result to the host page, whose DOM chromium dumps.
func layout(_ html: String, width: Int, in dir: String, name: String) throws -> Layout {
    let path = "\(dir)/\(name)-probe.html", host = "\(dir)/\(name)-host-\(width).html"
    try html.replacingOccurrences(of: "</body>", with: layoutProbe + "</body>").write(toFile: path, atomically: true, encoding: .utf8)
    try """
    <!DOCTYPE html><html><body style="margin:0"><iframe src="\(name)-probe.html" style="width:\(width)px;height:900px;border:0"></iframe>
    <pre id="result"></pre><script>addEventListener("message", function (e) { document.getElementById("result").textContent = e.data; });</script></body></html>
    """.write(toFile: host, atomically: true, encoding: .utf8)
    let dom = try chromium(["--window-size=\(width + 40),1000", "--virtual-time-budget=3000", "--dump-dom", "file://" + host])
    // The script's own text is in the DOM too: the result is the text that starts with "LAYOUT {".
    guard let start = dom.range(of: "LAYOUT {", options: .backwards), let end = dom.range(of: " END", range: start.upperBound..<dom.endIndex) else {
        throw ReportError("the layout probe did not run in \(name) at \(width) px")
    }
    let json = "{" + String(dom[start.upperBound..<end.lowerBound]).replacingOccurrences(of: "&amp;", with: "&")
        .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
    return try JSONDecoder().decode(Layout.self, from: Data(json.utf8))
}

@Suite(.serialized) struct BrowserLayoutTests {
    /// The pages of every kind: a train run, an analysis, a sweep, a series and the index.
    func pages(_ dir: String) throws -> [(String, String)] {
        let renderer = try ReportRenderer()
        let longName = "a-very-long-run-name-without-any-spaces-" + String(repeating: "x", count: 120)
        let train = try String(contentsOfFile: try runAndReport(dir + "/train", name: longName), encoding: .utf8)
        var analyses: [SeriesPageStep] = []
        for (step, separation) in [(0, 6.0), (1, 3.0), (2, 0.5)] {
            let spec = try JobSpec.parse(Data(#"{"kind":"analyze","series":"layout-run","step":\#(step),"reference_scale":4,"dataset":{"type":"blobs","classes":5,"per_class":12,"dim":8,"separation":\#(separation)}}"#.utf8))
            _ = try Runner().run(spec, sink: try FileSink(directory: "\(dir)/a\(step)"))
            let result = try JSONValue.parse(try Data(contentsOf: URL(fileURLWithPath: "\(dir)/a\(step)/result.json")))
            analyses.append(SeriesPageStep(step: step, jobID: 100 + step, state: .succeeded, result: result, lastError: nil, link: "../job-\(100 + step)/index.html"))
        }
        let analyze = try String(contentsOfFile: try DirectoryReport.write(directory: "\(dir)/a2", renderer: renderer), encoding: .utf8)
        let series = try renderer.seriesPage(SeriesPage(name: "layout-run", baselineStep: 0, steps: analyses, indexLink: "../index.html"))
        // A monitored series (a user's loop): 120 signal rows shrinking towards collapse, the warning, the step-0 risk.
        let rows: [(step: Int, signals: JSONValue)] = (0..<120).map { k in
            let spread = 2.0 * exp(-Double(k) / 30)
            return (k, .object(["loss": .number(0.2 - spread * 0.05), "active_fraction": .number(min(1, 0.4 + Double(k) / 150)), "mean_positive": .number(spread * 0.6),
                                "mean_negative": .number(spread * 0.9), "gap": .number(spread * 0.3 * (1 - Double(k) / 120)), "batch_spread": .number(spread)]))
        }
        let reason: JSONValue = .object(["code": .string("spread_low"), "message": .string("the batch spread is 0.08 of the first batch's, below 0.1, with 97 % of triplets active")])
        let monitored = try renderer.seriesPage(SeriesPage(name: "layout-monitored", baselineStep: 0, steps: analyses, indexLink: "../index.html",
            monitor: SeriesMonitorPage(rows: rows, risk: .object(["risk": .number(0.93), "threshold": .number(0.5), "reasons": .array([reason])]),
                                       warning: .object(["step": .number(71), "source": .string("signals"), "reasons": .array([reason])]),
                                       settings: .object(["margin": .number(0.2), "learning_rate": .number(0.001), "classes_per_batch": .number(8), "samples_per_class": .number(4)]))))
        let sweepSpec = try JobSpec.parse(Data(#"{"kind":"sweep","name":"layout sweep","base":{"dataset":{"type":"blobs","classes":4,"per_class":20,"dim":6},"model":{"hidden":[8]},"sampler":{"classes_per_batch":4},"steps":4,"eval_every":2,"estimators":{"probe_size":16,"iterations":5}},"grid":{"seed":[0,1],"model.embedding_dim":[2,4,8],"sampler.samples_per_class":[2,3]}}"#.utf8))
        _ = try Runner().run(sweepSpec, sink: try FileSink(directory: dir + "/sweep"))
        let sweep = try String(contentsOfFile: try DirectoryReport.write(directory: dir + "/sweep", renderer: renderer), encoding: .utf8)
        let index = try renderer.indexPage((1...30).map { IndexEntry(id: $0, kind: .train, name: longName, state: .succeeded, verdict: "healthy",
                                                                       precisionAt1: 0.9, finishedAt: "2026-11-30 12:00:00", link: "job-\($0)/index.html",
                                                                       parentID: $0 > 20 ? 20 : nil, series: $0 < 5 ? "layout-run" : nil, seriesStep: $0 < 5 ? $0 : nil,
                                                                       seriesLink: $0 < 5 ? "series-layout-run/index.html" : nil) })
        // Comparisons: two series, and two of the sweep's runs (train runs with their evaluations).
        let compareSeries = try renderer.comparePage(ComparePage(runs: [
            CompareRun.series(name: "layout-run", baselineStep: 0, warningStep: 1, collapseStep: nil, steps: analyses.map { ($0.step, $0.result) },
                              spec: analyses.first?.result?["spec"], link: "../../series-layout-run/index.html"),
            CompareRun.series(name: "layout-run-b", baselineStep: 0, warningStep: nil, collapseStep: 2, steps: analyses.prefix(2).map { ($0.step, $0.result) } + [(2, nil)],
                              spec: analyses.last?.result?["spec"], link: nil),
        ], command: "isomine compare layout-run layout-run-b", indexLink: "../../index.html"))
        let sweepRuns = try ["000", "001", "005"].map { n in
            let r = try JSONValue.parse(try Data(contentsOf: URL(fileURLWithPath: "\(dir)/sweep/runs/\(n)/result.json")))
            return CompareRun.job(id: Int(n)! + 10, kind: .train, state: .succeeded, spec: r["spec"] ?? .null, result: r, link: "../../job-\(n)/index.html")
        }
        let compareSweep = try renderer.comparePage(ComparePage(runs: sweepRuns, command: "isomine compare 9", indexLink: nil))
        return [("train", train), ("analyze", analyze), ("series", series), ("monitored-series", monitored), ("sweep", sweep), ("index", index),
                ("compare-series", compareSeries), ("compare-sweep", compareSweep)]
    }

    @Test func pagesFitPhoneAndDesktopWidthsWithReadableText() throws {
        let dir = TempFolder()
        for (name, html) in try pages(dir.path) {
            // ISOMINE_KEEP_PAGES=DIR keeps a copy of each page, to look at.
            if let keep = ProcessInfo.processInfo.environment["ISOMINE_KEEP_PAGES"] { try? html.write(toFile: "\(keep)/\(name).html", atomically: true, encoding: .utf8) }
            for width in [1280, 390] {
                let l = try layout(html, width: width, in: dir.path, name: name)
                #expect(l.width == Double(width), "\(name): the browser laid the page out at \(l.width) px, not \(width)")
                #expect(l.overflow <= 0, "\(name) at \(width) px: the page body overflows sideways by \(l.overflow) px")
                if l.minSvg < 1e9 { #expect(l.minSvg >= 11 - 1e-6, "\(name) at \(width) px: chart text '\(l.svgSample)' is \(l.minSvg) px") }
                #expect(l.minHtml >= 11 - 1e-6, "\(name) at \(width) px: text '\(l.htmlSample)' is \(l.minHtml) px")
                #expect(l.broken.isEmpty, "\(name) at \(width) px: words broken across lines: \(l.broken)")
                #expect(l.covered.isEmpty, "\(name) at \(width) px: labels over data: \(l.covered)")
                #expect(l.crossed.isEmpty, "\(name) at \(width) px: labels over labels: \(l.crossed)")
            }
        }
    }

    /// The probe's own checks fail where they should: on a table that breaks words to fit a narrow
    /// column, on a chart whose legend sits on its line (the old top-right legend), and on two labels
    /// drawn over each other.
    @Test func theProbeCatchesAMidWordBreakAndALegendOverData() throws {
        let dir = TempFolder()
        let page = """
            <!DOCTYPE html><html><head><meta charset="utf-8"/><meta name="viewport" content="width=device-width, initial-scale=1"/>
            <style>td { overflow-wrap: anywhere; border: 1px solid #999; font-size: 14px; }</style></head><body>
            <table style="width: 300px"><tr><td>succeeded</td><td>collapsed (distances; ranking intact) with every reason spelled out in a long paragraph</td>
            <td>a sentence that takes most of the table's width and squeezes the other columns</td></tr></table>
            <svg class="chart" viewBox="0 0 640 360" width="640" font-size="13"><title>broken chart</title>
            <polyline class="data" points="64,60 300,60 600,60" fill="none" stroke="#000"/>
            <g class="legend"><rect x="420" y="42" width="200" height="40" fill="#fff"/><text x="440" y="64">P@1</text></g>
            <text x="448" y="70">MAP@R</text></svg>
            </body></html>
            """
        let l = try layout(page, width: 390, in: dir.path, name: "broken")
        #expect(l.broken.contains { $0.hasSuffix(": succeeded") || $0.hasSuffix(": collapsed") || $0.hasSuffix(": distances") }, "\(l.broken)")
        #expect(l.covered.contains { $0.hasPrefix("broken chart: legend") }, "\(l.covered)")
        #expect(l.covered.contains { $0 == "broken chart: P@1" }, "\(l.covered)")
        #expect(l.crossed == ["broken chart: P@1 / MAP@R"], "\(l.crossed)")
        // The same chart with its legend below the plot passes.
        let fixed = page.replacingOccurrences(of: #"y="42""#, with: #"y="300""#).replacingOccurrences(of: #"y="64">P@1"#, with: #"y="320">P@1"#)
            .replacingOccurrences(of: #"y="70">MAP@R"#, with: #"y="340">MAP@R"#)
        let fixedLayout = try layout(fixed, width: 390, in: dir.path, name: "fixed")
        #expect(fixedLayout.covered.isEmpty && fixedLayout.crossed.isEmpty, "\(fixedLayout.covered) \(fixedLayout.crossed)")
    }

    @Test func screenshotsOfAJobPage() throws {
        let dir = TempFolder()
        let page = try runAndReport(dir.path + "/train")
        for width in [1280, 390] {
            let png = "\(dir.path)/job-\(width).png"
            _ = try chromium(["--window-size=\(width),1200", "--screenshot=\(png)", "file://" + page])
            let bytes = [UInt8]((FileManager.default.contents(atPath: png) ?? Data()).prefix(8))
            #expect(bytes == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "no PNG screenshot at \(width) px")
        }
    }
}
