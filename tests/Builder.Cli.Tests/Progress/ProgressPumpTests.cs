using Builder.Cli.Progress;
using Builder.Solver.Progress;

namespace Builder.Cli.Tests.Progress;

public sealed class ProgressPumpTests
{
    [Fact]
    public async Task OutputBeyondTheCapIsDroppedButStateChangesNeverAre()
    {
        using var gate = new ManualResetEventSlim();
        var handled = new List<ProgressEvent>();
        var t = new Timeline();
        // The consumer is stuck (a terminal that does not read) until the gate opens.
        var pump = new ProgressPump(e => { gate.Wait(); handled.Add(e); }, () => { }, maxQueuedLogBytes: 1000);
        pump.Enqueue(t.Running(1, "step"));
        for (var i = 0; i < 50; i++)
        {
            pump.Enqueue(t.Log(1, new byte[100], 0));
        }
        pump.Enqueue(t.Done(1, "step", 1));
        gate.Set();
        await pump.CompleteAsync();

        var logs = handled.OfType<VertexLog>().Count();
        Assert.InRange(logs, 10, 11); // what fitted under the cap, plus one if the consumer had taken one
        Assert.Equal((50 - logs) * 100, pump.DroppedLogBytes);
        Assert.IsType<VertexStatus>(handled[0]);
        Assert.Equal(VertexState.Done, Assert.IsType<VertexStatus>(handled[^1]).State);
    }

    [Fact]
    public async Task ConsumerFailureStopsTheDisplayNotTheBuild()
    {
        var t = new Timeline();
        var calls = 0;
        var pump = new ProgressPump(_ => { calls++; throw new IOException("stderr closed"); }, () => { });
        pump.Enqueue(t.Running(1, "a"));
        pump.Enqueue(t.Running(2, "b"));
        await pump.CompleteAsync();
        Assert.Equal(1, calls);
        Assert.IsType<IOException>(pump.Fault);
    }

    [Fact]
    public async Task PlainSaysWhenOutputWasDropped()
    {
        var output = new StringWriter { NewLine = "\n" };
        var t = new Timeline();
        await using (var renderer = new PlainProgressRenderer(output, maxQueuedLogBytes: 10))
        {
            renderer.Report(t.Running(1, "step"));
            renderer.Report(t.Log(1, "this chunk is longer than the cap\n", 0.1));
            renderer.Report(t.Done(1, "step", 1));
            await renderer.FinishAsync(BuildOutcome.Succeeded);
        }
        Assert.Equal(
            "#1 step\n#1 DONE 1.0s\n\nnote: 34B of step output was not shown because the display fell behind; each step's full log is kept\n",
            output.ToString());
    }
}
