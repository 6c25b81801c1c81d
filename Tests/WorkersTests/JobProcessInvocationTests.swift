// The parent ↔ child job protocol of the worker (Workers/JobProcessInvocation).
import Testing
@testable import Workers

/// The job-process protocol reads back exactly what the worker writes, and refuses anything else.
@Suite struct JobProcessInvocationTests {
    @Test func argumentsRoundTrip() throws {
        var full = JobProcessInvocation(job: 42, owner: "host:7:1", attempt: 3)
        full.memoryBytes = 536_870_912
        full.reportsRoot = "/srv/reports"
        full.publicURL = "https://ci.example.org/isomine"
        full.reportEachEvaluation = true
        full.threads = 3
        for invocation in [full, JobProcessInvocation(job: 1, owner: "w", attempt: 1)] {
            #expect(invocation.arguments.first == JobProcessInvocation.subcommand)
            #expect(try JobProcessInvocation(parsing: Array(invocation.arguments.dropFirst())) == invocation)
        }
        #expect(throws: JobProcessError.self) { try JobProcessInvocation(parsing: ["--job", "1", "--owner", "w", "--attempt", "1", "--extra"]) }
        #expect(throws: JobProcessError.self) { try JobProcessInvocation(parsing: ["--job", "1", "--owner"]) }
        #expect(throws: JobProcessError.self) { try JobProcessInvocation(parsing: ["--owner", "w", "--attempt", "1"]) }
        #expect(throws: JobProcessError.self) { try JobProcessInvocation(parsing: ["--job", "1", "--owner", "w", "--attempt", "1", "--threads", "0"]) }
    }
}
