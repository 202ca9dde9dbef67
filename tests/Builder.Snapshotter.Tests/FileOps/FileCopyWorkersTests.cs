using Builder.Snapshotter.FileOps;

namespace Builder.Snapshotter.Tests.FileOps;

public sealed class FileCopyWorkersTests
{
    [Fact]
    public void A_batch_waits_for_all_its_work()
    {
        using var workers = FileCopyWorkers.ForThisMachine() ?? throw new InvalidOperationException("needs two cores");
        var batch = workers.NewBatch();
        var done = 0;
        for (var i = 0; i < 500; i++)
        {
            batch.Add(() =>
            {
                Thread.SpinWait(1000);
                Interlocked.Increment(ref done);
            });
        }
        batch.Wait();

        Assert.Equal(500, done);
    }

    [Fact]
    public void A_failure_is_rethrown_as_it_was_after_the_rest_of_the_batch_is_done()
    {
        using var workers = FileCopyWorkers.ForThisMachine() ?? throw new InvalidOperationException("needs two cores");
        var batch = workers.NewBatch();
        var running = 0;
        batch.Add(() => throw new IOException("create /app/x: No space left on device"));
        for (var i = 0; i < 50; i++)
        {
            batch.Add(() =>
            {
                Interlocked.Increment(ref running);
                Thread.SpinWait(1000);
                Interlocked.Decrement(ref running);
            });
        }

        var e = Assert.Throws<IOException>(batch.Wait);
        Assert.Equal("create /app/x: No space left on device", e.Message);
        Assert.Equal(0, Volatile.Read(ref running)); // nothing of the batch still runs once Wait returns
    }
}
