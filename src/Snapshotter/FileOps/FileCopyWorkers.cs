using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace Builder.Snapshotter.FileOps;

/// <summary>
/// Worker threads for the regular files of a tree copy. Creating and filling a file through overlayfs is tens of
/// microseconds of kernel time, so a context of thousands of small files copies markedly faster on every core.
/// Work is grouped per directory (<see cref="Batch"/>): the walker waits for a directory's files before it sets
/// that directory's times and closes its descriptor. Dedicated threads, not the thread pool, because the walker
/// blocks on each batch and a small pool would starve.
/// </summary>
internal sealed class FileCopyWorkers : IDisposable
{
    private readonly BlockingCollection<(Action Work, Batch Batch)> _queue = new(boundedCapacity: 256);
    private readonly Thread[] _threads;

    private FileCopyWorkers(int count)
    {
        _threads = new Thread[count];
        for (var i = 0; i < count; i++)
        {
            _threads[i] = new Thread(Run) { IsBackground = true, Name = "copy" };
            _threads[i].Start();
        }
    }

    /// <summary>Workers for this machine (one per core, at most four), or null on a single core, where copying inline is faster.</summary>
    public static FileCopyWorkers? ForThisMachine()
    {
        var count = Math.Min(Environment.ProcessorCount, 4);
        return count > 1 ? new FileCopyWorkers(count) : null;
    }

    /// <summary>A new group of work to wait for.</summary>
    public Batch NewBatch() => new(this);

    /// <summary>Lets queued work finish and stops the threads.</summary>
    public void Dispose()
    {
        _queue.CompleteAdding();
        foreach (var thread in _threads)
        {
            thread.Join();
        }
        _queue.Dispose();
    }

    private void Run()
    {
        foreach (var (work, batch) in _queue.GetConsumingEnumerable())
        {
            batch.Execute(work);
        }
    }

    /// <summary>Work queued together and waited for together; the first failure is rethrown by <see cref="Wait"/>.</summary>
    public sealed class Batch
    {
        private readonly FileCopyWorkers _owner;
        private readonly CountdownEvent _pending = new(1);
        private ExceptionDispatchInfo? _failure;

        internal Batch(FileCopyWorkers owner) => _owner = owner;

        /// <summary>Queues <paramref name="work"/>; after a failure in this batch, later work is skipped.</summary>
        public void Add(Action work)
        {
            _pending.AddCount();
            _owner._queue.Add((work, this));
        }

        /// <summary>Waits for everything added, then throws the first failure as it was thrown.</summary>
        public void Wait()
        {
            _pending.Signal();
            _pending.Wait();
            _pending.Dispose();
            _failure?.Throw();
        }

        internal void Execute(Action work)
        {
            try
            {
                if (Volatile.Read(ref _failure) is null)
                {
                    work();
                }
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failure, ExceptionDispatchInfo.Capture(e), null);
            }
            finally
            {
                _pending.Signal();
            }
        }
    }
}
