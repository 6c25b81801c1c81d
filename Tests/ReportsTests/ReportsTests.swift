// Reports: the pages of real small runs, checked as XML (every page and every SVG must be
// well-formed), every chart present, and hostile strings escaped everywhere.
import Foundation
import TestSupport
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import Vocabulary
import Datasets
import Jobs
import Linalg
import Estimators
import Trainer
@testable import Reports

/// Parses `text` as XML; returns nil when well-formed, else the parser's error, and collects element names and ids.
final class XMLCheck: NSObject, XMLParserDelegate {
    var elements: [String: Int] = [:]
    var ids: [String] = []
    var texts = ""
    static func parse(_ text: String) -> (error: String?, check: XMLCheck) {
        let check = XMLCheck()
        let parser = XMLParser(data: Data(text.utf8))
        parser.delegate = check
        let ok = parser.parse()
        return (ok ? nil : "\(parser.parserError.map { "\($0)" } ?? "unknown") at line \(parser.lineNumber)", check)
    }
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        elements[name, default: 0] += 1
        if let id = attributes["id"] { ids.append(id) }
    }
    func parser(_ parser: XMLParser, foundCharacters string: String) { texts += string }
}

let hostile = #"<script>alert("x")</script>&'"#

/// A small train run with estimators, written the way `isomine run` writes it, report included.
func runAndReport(_ dir: String, name: String = "small", datasetJSON: String = #"{"type":"blobs","classes":4,"per_class":25,"dim":6}"#,
                  dataRoot: String? = nil) throws -> String {
    let spec = try JobSpec.parse(Data(#"{"kind":"train","name":\#(String(decoding: try JSONValue.string(name).serialized(pretty: false), as: UTF8.self)),"dataset":\#(datasetJSON),"model":{"hidden":[16],"embedding_dim":4},"sampler":{"classes_per_batch":4,"samples_per_class":4},"steps":40,"eval_every":20,"estimators":{"probe_size":40,"iterations":20}}"#.utf8))
    let runner = dataRoot.map { Runner(dataRoot: DataRoot(path: $0)) } ?? Runner()
    _ = try runner.run(spec, sink: try FileSink(directory: dir))
    return try DirectoryReport.write(directory: dir, renderer: try ReportRenderer())
}

@Suite struct ChartTests {
    @Test func escapingCoversMarkupQuotesAndControlCharacters() {
        #expect(escapeXML("<a href=\"x\">'&'</a>\u{1}") == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;")
    }

    @Test func chartsAreWellFormedWithEscapedText() {
        let line = LineChart(id: "l", title: hostile, xLabel: hostile, yLabel: "y", series: [
            Series(name: hostile, points: [(0, 1), (1, 2), (2, .nan)], colour: "#000000"),
        ], bands: [Band(name: "b", x: [0, 1], lower: [0, 0.5], upper: [1, 1.5], colour: "#888888")]).svg
        let scatter = ScatterPlot(id: "s", title: "t", xLabel: "x", yLabel: "y", points: [(0, 0, 1), (1, 1, 2)],
                                  classes: [(1, hostile), (2, "b")], arrowTo: [(0.5, 0), (1, 1)]).svg
        let sorted = SortedPlot(id: "d", title: "t", xLabel: "x", yLabel: "y", values: [0.1, 0.5, 0.2], marks: [(1, hostile)]).svg
        let heat = Heatmap(id: "h", title: hostile, rowLabel: hostile, columnLabel: "c", rows: [hostile], columns: ["1", "2"],
                           values: [[0.5, nil]], range: 0...1, links: [[#"x.html?a=1&b="2""#, nil]]).svg
        for svg in [line, scatter, sorted, heat] {
            let (error, check) = XMLCheck.parse(svg)
            #expect(error == nil, "\(error ?? "")")
            #expect(check.elements["script"] == nil)
            #expect(!svg.contains("<script"))
        }
        #expect(XMLCheck.parse(line).check.texts.contains(hostile))
    }

    @Test func projectionKeepsThePlaneAndFindsThePrincipalAxis() {
        var m = Matrix<Double>(rows: 4, cols: 3)
        for (r, t) in [-3.0, -1, 1, 3].enumerated() { m[r, 0] = t; m[r, 1] = 2 * t; m[r, 2] = 0.01 * Double(r % 2) }
        let xy = Projection(fitting: m).apply(m)
        // All the variance lies along (1, 2, 0): the first coordinate carries it, the second almost none.
        #expect(abs(abs(xy[3].x - xy[0].x) - 6 * 5.0.squareRoot()) < 1e-4)
        #expect(xy.allSatisfy { abs($0.y) < 0.02 })
        var plane = Matrix<Double>(rows: 2, cols: 2)
        plane[1, 0] = 3; plane[1, 1] = -1
        #expect(Projection(fitting: plane).apply(plane)[1] == (3, -1))
    }

    /// Fewer points than dimensions: the axes come from the points' Gram matrix, and span the same plane
    /// with the same variance shares as the covariance's (up to each axis' sign).
    @Test func projectionOfFewPointsInManyDimensionsMatchesTheCovariances() {
        var rng = SeededRNG(seed: 5)
        var m = Matrix<Double>(rows: 12, cols: 40)
        for r in 0..<12 { for c in 0..<40 { m[r, c] = Double.random(in: -1...1, using: &rng) * (c < 3 ? 4 : 1) } }
        let mean = m.columnMeans
        let (gram, gramShares) = try! #require(Projection.gramAxes(m, mean: mean))
        let (cov, covShares) = try! #require(Projection.covarianceAxes(m))
        #expect(abs(gramShares.first - covShares.first) < 1e-9 && abs(gramShares.second - covShares.second) < 1e-9)
        for k in 0..<2 {
            let dot = zip(gram[k], cov[k]).reduce(0) { $0 + $1.0 * $1.1 }
            #expect(abs(abs(dot) - 1) < 1e-9, "axis \(k): |cos| = \(abs(dot))")
        }
        #expect(Projection(fitting: m).xLabel == String(format: "PC1 (%.0f%% of variance)", 100 * covShares.first))
    }
}

@Suite struct ReportPageTests {
    @Test func trainReportHasEveryChartAndParsesAsXML() throws {
        let dir = TempFolder()
        let path = try runAndReport(dir.path)
        #expect(path == dir.path + "/report/index.html")
        let html = try String(contentsOfFile: path, encoding: .utf8)
        let (error, check) = XMLCheck.parse(html)
        #expect(error == nil, "\(error ?? "")")
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains(#"<meta name="viewport""#))
        #expect(check.elements["svg"] == 9)
        for id in ["loss-title", "retrieval-title", "warning-title", "collapse-title", "diso-title", "start-title", "final-title", "fstar-title", "discrepancy-title"] {
            #expect(check.ids.contains(id), "\(id)")
        }
        for label in ["P@1", "MAP@R", "L_hard", "d_iso bracket", "d_haus bracket", "verdict", "Thickness and diameter per class"] {
            #expect(html.contains(label), "\(label)")
        }
        // No scripts and no external assets.
        #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("<link"))
        #expect(!html.contains("nil"))
        // Atomic write: no temporary file left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path + "/report") == ["index.html"])
    }

    /// A run that warns and then collapses: every by-step chart marks both steps, the warning in its own
    /// colour and labelled apart from the collapse.
    @Test func warningAndCollapseAreMarkedOnEveryByStepChart() throws {
        let dir = TempFolder()
        let spec = try JobSpec.parse(Data(#"{"kind":"train","dataset":{"type":"digits"},"model":{"hidden":[128],"embedding_dim":2},"sampler":{"classes_per_batch":10,"samples_per_class":32},"optimizer":{"learning_rate":0.2},"steps":60,"eval_every":30,"warning":{"stride":2},"estimators":{"probe_size":64,"iterations":10,"final_iterations":10}}"#.utf8))
        guard case .finished(let result) = try Runner().run(spec, sink: try FileSink(directory: dir.path)) else { Issue.record("not finished"); return }
        let warning = try #require(result.warning)
        let collapse = try #require(result.history.first { $0.verdict == .collapsed })
        #expect(warning.step < collapse.step)
        let html = try String(contentsOfFile: try DirectoryReport.write(directory: dir.path, renderer: try ReportRenderer()), encoding: .utf8)
        #expect(XMLCheck.parse(html).error == nil)
        let byStep = ["loss", "retrieval", "warning", "collapse", "diso"]
        for id in byStep {
            let start = try #require(html.range(of: #"id="\#(id)-title""#))
            let rest = html[start.lowerBound...]
            let svg = String(rest[..<(rest.range(of: "</svg>")?.lowerBound ?? rest.endIndex)])
            #expect(svg.contains(#"class="marker-warning""#) && svg.contains("warning at step \(warning.step)"), "\(id)")
            #expect(svg.contains(#"class="marker-collapse""#) && svg.contains("collapsed at step \(collapse.step)"), "\(id)")
            if id == "warning" {
                // Both clauses' quantities and thresholds are drawn: the gap clause's and the batch-distance clause's.
                #expect(svg.contains("batch spread / α (capped at 1)") && svg.contains("distances 0.25 α") && svg.contains("spread 0.08"), "\(svg.prefix(400))")
            }
        }
        // The progress page the worker writes when the warning fires, before any evaluation after step
        // 0: the marker widens the charts' range and is drawn.
        let first = try JSONValue.from(result.history[0])
        let progress = JobDocument(kind: .train, state: .running, spec: try JSONValue.from(result)["spec"] ?? .null, result: .object([
            "kind": .string("train"), "history": .array([first]), "final": first, "verdict": first["verdict"] ?? .null,
            "warning": try JSONValue.from(warning),
        ]))
        let page = try ReportRenderer().jobPage(progress)
        #expect(XMLCheck.parse(page).error == nil)
        #expect(page.components(separatedBy: #"class="marker-warning""#).count - 1 >= 3, "loss, retrieval and collapse charts")
    }

    /// A run that acted on its warning (`on_warning` switch_miner): the page says what was done and when,
    /// and marks the step it resumed from on the by-step charts.
    @Test func aRunThatActedOnItsWarningSaysWhatItDid() throws {
        let dir = TempFolder()
        let spec = try JobSpec.parse(Data(#"{"kind":"train","dataset":{"type":"digits"},"model":{"hidden":[128],"embedding_dim":2},"sampler":{"classes_per_batch":10,"samples_per_class":16},"optimizer":{"learning_rate":0.05},"steps":60,"eval_every":30,"warning":{"risk":false},"estimators":{"probe_size":64,"iterations":10,"final_iterations":10},"on_warning":{"action":"switch_miner","rewind_every":4}}"#.utf8))
        guard case .finished(let result) = try Runner().run(spec, sink: try FileSink(directory: dir.path)) else { Issue.record("not finished"); return }
        let action = try #require(result.onWarning)
        #expect(action.resumedFrom < action.warnedAt)
        let html = try String(contentsOfFile: try DirectoryReport.write(directory: dir.path, renderer: try ReportRenderer()), encoding: .utf8)
        #expect(XMLCheck.parse(html).error == nil)
        #expect(html.contains("on warning") && html.contains("switched miner batch-hard → collapse-aware (warned at step \(action.warnedAt), resumed from step \(action.resumedFrom))"))
        #expect(html.contains("acted on the warning: resumed from step \(action.resumedFrom)"))
    }

    /// A running analysis' page and its series' page show the provisional verdict, marked as such, with
    /// its figures and reasons; the page stays well-formed.
    @Test func aRunningAnalysisShowsItsProvisionalVerdict() throws {
        let diagnosis = Diagnosis(DiagnosisInputs(precisionAt1: 0.9, chancePrecisionAt1: 0.1, margin: 0.2, meanPairwiseDistance: 0.01,
                                                  separatedFraction: 0.5, marginMetFraction: 0.1, hardestLoss: 0.02, allCoincide: false,
                                                  effectiveRank: 3, dimension: 8, classes: 10))
        let provisional = ProvisionalVerdict(diagnosis: diagnosis, precisionAt1: 0.9, mapAtR: 0.7, relativeSpread: 0.05, lHard: 0.02, seconds: 0.31)
        #expect(provisional.verdict == .collapsed)
        var doc = JobDocument(id: 7, kind: .analyze, state: .running, spec: .object(["kind": .string("analyze"), "name": .string(hostile)]), result: nil)
        doc.provisional = try JSONValue.from(provisional)
        let page = try ReportRenderer().jobPage(doc)
        #expect(XMLCheck.parse(page).error == nil)
        #expect(page.contains("verdict (provisional)") && page.contains(diagnosis.headline) && page.contains("Provisional verdict"))
        #expect(page.contains("after 0.31 s") && page.contains("are still running") && page.contains("distances_collapsed"))
        #expect(!page.contains("<script>alert"))
        // An attempt that failed after its provisional verdict: the verdict is not shown as standing.
        doc.state = .failed
        let failed = try ReportRenderer().jobPage(doc)
        #expect(!failed.contains("verdict (provisional)") && !failed.contains("are still running"))

        let series = SeriesPage(name: "run", baselineStep: 0, steps: [
            SeriesPageStep(step: 3, jobID: 7, state: .running, result: nil, provisional: try JSONValue.from(provisional), lastError: nil, link: nil),
        ], indexLink: nil)
        let seriesHTML = try ReportRenderer().seriesPage(series)
        #expect(XMLCheck.parse(seriesHTML).error == nil)
        #expect(seriesHTML.contains(diagnosis.headline + " (provisional)") && seriesHTML.contains("0.900"))
    }

    /// A long monitored run is thinned for its chart by keeping each bucket's lowest and highest batch
    /// spread: a collapse of a few steps in 10,000 stays drawn (every 10th row, as before, drew none of
    /// it), as do the first and last rows and the warning's step; a short run is drawn whole.
    @Test func aLongMonitoredRunKeepsItsShortCollapseWhenThinned() throws {
        let rows = (0..<10_000).map { i -> (step: Int, signals: JSONValue) in
            (step: i, signals: .object(["batch_spread": .number((5_003...5_004).contains(i) ? 0.01 : 1 + Double(i % 7) / 100),
                                        "active_fraction": .number(0.5)]))
        }
        let (drawn, bucket) = SeriesMonitorPage.drawn(rows, keep: 7_777)
        #expect(bucket > 1 && drawn.count <= SeriesMonitorPage.maxPoints + 3, "\(drawn.count) rows, buckets of \(bucket)")
        let steps = drawn.map(\.step)
        #expect(steps.contains(5_003) && steps.contains(0) && steps.contains(9_999) && steps.contains(7_777), "the dip, the ends and the warning")
        #expect(steps == steps.sorted())
        #expect(SeriesMonitorPage.drawn(Array(rows.prefix(500))).rows.count == 500)
        let page = try ReportRenderer().seriesPage(SeriesPage(name: "long-run", baselineStep: nil, steps: [], indexLink: nil,
                                                              monitor: SeriesMonitorPage(rows: rows, risk: nil, warning: nil, settings: nil)))
        #expect(XMLCheck.parse(page).error == nil)
        #expect(page.contains("10000 signal rows, steps 0–9999 (\(SeriesMonitorPage.drawn(rows).rows.count) drawn: the lowest and highest batch spread of every \(bucket) rows)"))
    }

    /// A series step's page is titled with its series and step and links back to the series; pages of
    /// work in progress reload themselves and stop once it has ended; a healthy analysis shows no empty
    /// "Failures named"; a thickness of 0 at n ≥ class size is explained.
    @Test func stepPagesNameTheirSeriesAndPagesInProgressRefresh() throws {
        let dir = TempFolder()
        let spec = try JobSpec.parse(Data(#"{"kind":"analyze","name":"epoch 3 of run-7","series":"run-7","step":3,"reference_scale":4,"dataset":{"type":"blobs","classes":4,"per_class":10,"dim":16,"separation":6}}"#.utf8))
        _ = try Runner().run(spec, sink: try FileSink(directory: dir.path))
        let result = try JSONValue.parse(try Data(contentsOf: URL(fileURLWithPath: dir.path + "/result.json")))
        var doc = JobDocument(id: 41, kind: .analyze, state: .succeeded, spec: result["spec"] ?? .null, result: result)
        let page = try ReportRenderer().jobPage(doc, indexLink: "../index.html", seriesLink: "../series-run-7/index.html")
        #expect(XMLCheck.parse(page).error == nil)
        #expect(page.contains("<h1>series run-7 · step 3</h1>") && page.contains("<title>series run-7 · step 3 · isomine</title>"), "\(page.prefix(900))")
        #expect(page.contains("analyze job 41 · epoch 3 of run-7 · <a href=\"../series-run-7/index.html\">series run-7: every step</a>"))
        #expect(!page.contains("http-equiv=\"refresh\""), "an ended job's page does not reload")
        #expect(page.contains("Failures named: none"))
        // 10 points per class in 16 dimensions: every class lies in a hyperplane, thickness 0, and the page says why.
        #expect(page.contains("Every class&#39;s thickness is 0: a class of k points lies in an affine subspace of at most k − 1 dimensions"), "\(page)")
        doc.state = .running
        let running = try ReportRenderer().jobPage(doc)
        #expect(running.contains("<meta http-equiv=\"refresh\" content=\"\(ReportRenderer.refreshSeconds)\"/>"))
        // The series page reloads while a step has not ended, and not once all have.
        let steps = [SeriesPageStep(step: 3, jobID: 41, state: .succeeded, result: result, lastError: nil, link: nil),
                     SeriesPageStep(step: 4, jobID: 42, state: .queued, result: nil, lastError: nil, link: nil)]
        #expect(try ReportRenderer().seriesPage(SeriesPage(name: "run-7", baselineStep: 3, steps: steps, indexLink: nil)).contains("http-equiv=\"refresh\""))
        // The page says the margin its verdicts are judged at.
        #expect(try ReportRenderer().seriesPage(SeriesPage(name: "run-7", baselineStep: 3, steps: steps, indexLink: nil, margin: 0.05))
                    .contains("2 steps, baseline step 3, judged at margin α = 0.05"))
        #expect(!(try ReportRenderer().seriesPage(SeriesPage(name: "run-7", baselineStep: 3, steps: [steps[0]], indexLink: nil)).contains("http-equiv=\"refresh\"")))
        // A monitored series with no checkpoint yet has no baseline, and says so rather than "none collapsed".
        let signalsOnly = try ReportRenderer().seriesPage(SeriesPage(name: "run-8", baselineStep: nil, steps: [], indexLink: nil))
        #expect(XMLCheck.parse(signalsOnly).error == nil)
        #expect(signalsOnly.contains("0 steps, no checkpoint yet") && !signalsOnly.contains("none collapsed"), "\(signalsOnly)")
        let entry = IndexEntry(id: 1, kind: .train, name: "a", state: .running, verdict: nil, precisionAt1: nil, finishedAt: nil, link: nil)
        #expect(try ReportRenderer().indexPage([entry]).contains("http-equiv=\"refresh\""))
        var ended = entry
        ended.state = .succeeded
        #expect(!(try ReportRenderer().indexPage([ended]).contains("http-equiv=\"refresh\"")))
    }

    @Test func hostileNamesAreEscapedEverywhere() throws {
        let dir = TempFolder(), data = TempFolder()
        // A CSV whose file name is hostile too: the dataset name is shown in the page.
        let fileName = #"x<img src=y onerror=alert(1)>&'".csv"#
        var csv = ""
        for c in 0..<4 { for i in 0..<12 { csv += "\(Double(c) * 3 + Double(i) * 0.1),\(Double(i % 3)),\(c)\n" } }
        _ = FileManager.default.createFile(atPath: data.path + "/" + fileName, contents: Data(csv.utf8))
        let path = try runAndReport(dir.path, name: hostile, datasetJSON: #"{"type":"csv","path":\#(String(decoding: try JSONValue.string(fileName).serialized(pretty: false), as: UTF8.self))}"#,
                                    dataRoot: data.path)
        let html = try String(contentsOfFile: path, encoding: .utf8)
        #expect(XMLCheck.parse(html).error == nil)
        #expect(!html.contains("<script") && !html.contains("<img"))
        #expect(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;"))
        #expect(html.contains("x&lt;img src=y onerror=alert(1)&gt;&amp;&#39;&quot;"))
        let index = try ReportRenderer().indexPage([IndexEntry(id: 1, kind: .train, name: hostile, state: .succeeded, verdict: "healthy",
                                                               precisionAt1: 0.5, finishedAt: nil, link: #"job-1/index.html?"&<"#)])
        #expect(XMLCheck.parse(index).error == nil && !index.contains("<script"))
    }

    @Test func sweepPageHasHeatmapsLinkingToRunReports() throws {
        let dir = TempFolder()
        let sweep = try JobSpec.parse(Data(#"{"kind":"sweep","name":"s","base":{"dataset":{"type":"blobs","classes":4,"per_class":20,"dim":6},"model":{"hidden":[8]},"sampler":{"classes_per_batch":4},"steps":6,"eval_every":3,"estimators":{"probe_size":16,"iterations":10}},"grid":{"seed":[0,1],"model.embedding_dim":[2,4],"sampler.samples_per_class":[2,3],"miner":["batch-hard","semi-hard"]}}"#.utf8))
        _ = try Runner().run(sweep, sink: try FileSink(directory: dir.path))
        let path = try DirectoryReport.write(directory: dir.path, renderer: try ReportRenderer())
        let html = try String(contentsOfFile: path, encoding: .utf8)
        let (error, check) = XMLCheck.parse(html)
        #expect(error == nil, "\(error ?? "")")
        // Two cell axes beyond the first two: one pair of maps per value of the third.
        #expect(check.elements["svg"] == 8 && html.contains("Collapse rate (sampler.samples_per_class=2)") && html.contains("Ever collapsed (sampler.samples_per_class=2)"))
        #expect(html.contains("Warned before collapse (sampler.samples_per_class=2)") && html.contains("<th>warning step</th>"))
        #expect(html.contains("series rule on the evaluations"))
        #expect(html.contains(#"<a href="../runs/000/report/index.html">"#))
        #expect(FileManager.default.fileExists(atPath: dir.path + "/runs/015/report/index.html"))
        // The P@1 map writes each cell's standard error over its two seeds under its mean, as the result has it.
        let result = try JSONDecoder().decode(SweepResult.self, from: Data(contentsOf: URL(fileURLWithPath: dir.path + "/result.json")))
        for cell in result.cells {
            let p1 = try #require(cell.metrics["precision_at_1"])
            let se = try #require(p1.standardError)
            #expect(check.texts.contains(String(format: "± %.3f", se)) && check.texts.contains(String(format: "%.3f", p1.mean)), "\(cell.params)")
            // The two rate maps write each rate's 95 % Wilson interval over the cell's two runs under it.
            for rate in [cell.collapseRate, cell.everCollapsedRate] {
                let r = try #require(rate)
                let ci = try #require(Proportion.wilson95(Int((r * 2).rounded()), of: 2))
                #expect(check.texts.contains(String(format: "%.2f–%.2f", ci.lowerBound, ci.upperBound)), "\(cell.params) \(r)")
            }
        }
    }

    /// The Wilson interval against values worked by hand: 4 of 30 (the issue-25 SGD cell: 0.053–0.297),
    /// 0 and 30 of 30 (not a point), and nothing for no runs or a count beyond them.
    @Test func wilsonIntervalsOfACellsRate() throws {
        let four = try #require(Proportion.wilson95(4, of: 30))
        #expect(abs(four.lowerBound - 0.0531) < 5e-4 && abs(four.upperBound - 0.2968) < 5e-4, "\(four)")
        let none = try #require(Proportion.wilson95(0, of: 30)), all = try #require(Proportion.wilson95(30, of: 30))
        #expect(none.lowerBound == 0 && abs(none.upperBound - 0.1135) < 5e-4 && abs(all.lowerBound - (1 - 0.1135)) < 5e-4 && all.upperBound == 1)
        #expect(Proportion.wilson95(1, of: 0) == nil && Proportion.wilson95(31, of: 30) == nil && Proportion.wilson95(-1, of: 30) == nil)
        // The page's note: none under two runs, and none (rather than a trap) for a rate a hand-edited result put out of range.
        #expect(SweepReport.interval(0.1, of: 30) == "0.03–0.26" && SweepReport.interval(1, of: 1) == nil)
        #expect(SweepReport.interval(1e300, of: 30) == nil && SweepReport.interval(.nan, of: 30) == nil && SweepReport.interval(-0.5, of: 30) == nil)
        #expect(SweepReport.interval(0.5, of: Int.max) == nil)
    }

    @Test func reportsStayInsideTheReportsRoot() throws {
        let dir = TempFolder(), outside = TempFolder()
        let root = ReportsRoot(path: dir.path)
        #expect(throws: ReportError.self) { try root.write("x", to: "../escape.html") }
        #expect(throws: ReportError.self) { try root.write("x", to: "/etc/passwd") }
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/link", withDestinationPath: outside.path)
        #expect(throws: ReportError.self) { try root.write("x", to: "link/escape.html") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside.path).isEmpty)
        #expect(try root.write("ok", to: "job-1/index.html") == dir.path + "/job-1/index.html")
    }
}

@Suite struct IndexPageTests {
    @Test func sweepRunsAndSeriesStepsAreListedUnderTheirParentWithNamesAsLinks() throws {
        let entries = [
            IndexEntry(id: 1, kind: .sweep, name: "grid", state: .succeeded, verdict: nil, precisionAt1: nil, finishedAt: nil, link: "job-1/index.html"),
            IndexEntry(id: 2, kind: .train, name: "grid [seed=0]", state: .succeeded, verdict: "healthy", precisionAt1: 0.9, finishedAt: nil, link: "job-2/index.html", parentID: 1),
            IndexEntry(id: 3, kind: .analyze, name: "", state: .succeeded, verdict: "healthy", precisionAt1: 0.8, finishedAt: nil, link: "job-3/index.html",
                       series: "run-7", seriesStep: 2, seriesLink: "series-run-7/index.html"),
            IndexEntry(id: 4, kind: .analyze, name: "", state: .succeeded, verdict: "collapsed", precisionAt1: 0.1, finishedAt: nil, link: "job-4/index.html",
                       series: "run-7", seriesStep: 1, seriesLink: "series-run-7/index.html"),
            IndexEntry(id: 5, kind: .train, name: "alone", state: .failed, verdict: nil, precisionAt1: nil, finishedAt: nil, link: nil),
        ]
        let html = try ReportRenderer().indexPage(entries)
        #expect(XMLCheck.parse(html).error == nil)
        func position(_ s: String) -> Int { html.range(of: s).map { html.distance(from: html.startIndex, to: $0.lowerBound) } ?? -1 }
        // Newest first at the top level: the plain job, the series (at its newest step), the sweep; children right under their parent.
        #expect(position(">alone<") < position(#"<a href="series-run-7/index.html">run-7</a>"#))
        #expect(position(#"<a href="series-run-7/index.html">run-7</a>"#) < position(#"<a href="job-4/index.html">analyze job 4</a> · step 1"#))
        #expect(position(#"<a href="job-4/index.html">analyze job 4</a> · step 1"#) < position(#"<a href="job-3/index.html">analyze job 3</a> · step 2"#))
        #expect(position(#"<a href="job-3/index.html">"#) < position(#"<a href="job-1/index.html">grid</a>"#))
        #expect(position(#"<a href="job-1/index.html">grid</a>"#) < position(#"<td class="text nested"><a href="job-2/index.html">grid [seed=0]</a>"#))
    }
}
