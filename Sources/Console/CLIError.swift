// Turning errors into one line on stderr and an exit code.
import ArgumentParser
import Foundation
import Datasets
import Jobs
import Postgres
import Queue
import Webhooks

public enum CLIError {
    /// Exit code for a spec or data error (the input is wrong: fix it and run again).
    public static let invalidSpec: Int32 = 2
    /// Exit code for a run that failed for another reason (I/O, divergence, a bad checkpoint).
    public static let runFailed: Int32 = 1

    /// SQLSTATEs of input refused by isomine's SQL functions: invalid_parameter_value, unique_violation
    /// (a series step submitted twice), program_limit_exceeded (an upload over the cap).
    public static let inputErrorStates: Set<String> = ["22023", "23505", "54000"]

    /// Runs `body`; prints a failure as one line on stderr and exits with the matching code.
    public static func reporting<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let e as ExitCode {
            throw e
        } catch let e where e is SpecError || e is DatasetError || e is WebhookError || e is QueueError {
            // The input is wrong: the message already starts with the field path.
            printError("\(e)")
            throw ExitCode(invalidSpec)
        } catch let e as PGError where e.sqlstate.map(inputErrorStates.contains) == true {
            // isomine's SQL functions refuse bad input with these states and a message that names the problem.
            printError(e.message)
            throw ExitCode(invalidSpec)
        } catch {
            printError("error: \(error)")
            throw ExitCode(runFailed)
        }
    }

    public static func printError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
