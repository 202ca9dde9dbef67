using System.Text;
using Builder.Cli.Progress;
using Builder.Solver.Logs;
using Builder.Solver.Progress;

namespace Builder.Cli.Tests.Progress;

/// <summary>The failure report's last lines show a progress bar's final state, as a terminal would.</summary>
public sealed class FailureReportTerminalTests
{
    [Fact]
    public void Progress_bar_output_of_a_failed_step_is_reported_as_its_final_line_not_its_fragments()
    {
        var dir = Directory.CreateTempSubdirectory("failure-report-").FullName;
        try
        {
            IReadOnlyList<string> lastLines;
            using (var log = new StepLog(Path.Combine(dir, "step.log"), _ => { }))
            {
                log.Write(Encoding.UTF8.GetBytes("fetching\n"));
                for (var i = 0; i <= 500; i++)
                {
                    log.Write(Encoding.UTF8.GetBytes($"\r{i * 100 / 500,3}% [{new string('=', i / 50),-10}]"));
                }
                log.Write(Encoding.UTF8.GetBytes("\nchecksum mismatch\n"));
                lastLines = log.LastLines();
            }
            var failure = new StepFailure("process \"/bin/sh -c fetch\" did not complete successfully: exit code: 1") { ExitCode = 1, LastLines = lastLines };
            var report = FailureReport.Format(failure, "[2/2] RUN fetch");
            Assert.Contains(" last 3 lines of output:\n   fetching\n   100% [==========]\n   checksum mismatch\n", report);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("abcdef\rXY", "XYcdef")]
    [InlineData("downloading 10%\r\x1b[Kdone", "done")]
    [InlineData("10%\r50%\r100%\r", "100%")]
    public void A_line_that_still_holds_carriage_returns_is_shown_as_a_terminal_shows_it(string line, string shown)
    {
        var failure = new StepFailure("exit code: 1") { ExitCode = 1, LastLines = [line] };
        Assert.Contains($" last line of output:\n   {shown}\n", FailureReport.Format(failure, "step"));
    }
}
