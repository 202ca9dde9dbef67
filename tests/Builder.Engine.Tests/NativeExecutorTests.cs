using System.Text;
using Builder.Engine.Native;

namespace Builder.Engine.Tests;

/// <summary>The shared behaviour suite on the native executor.</summary>
public sealed class NativeExecutorTests : ExecutorBehaviour
{
    protected override bool CommandIsPid1 => false;

    protected override IExecutor CreateExecutor(EngineOptions options) => new NativeExecutor(options);

    [Fact]
    public async Task Init_reaps_orphaned_zombies()
    {
        // The inner shell exits at once; its sleep children are re-parented to PID 1 (our init),
        // which must reap them when they exit, or they stay zombies ("Z") in the namespace.
        var result = await RunAsync(Shell("sh -c 'sleep 0.1 & sleep 0.1 & exit 0'; sleep 1.5; grep -l '^State:.*Z' /proc/[0-9]*/status | wc -l; cat /proc/1/status | grep -c builder-init"));
        Assert.True(result.Exit.Succeeded, result.ToString());
        Assert.Equal("0\n1\n", result.Stdout);
    }

    [Fact]
    public async Task Terminal_resize_reaches_the_command()
    {
        var output = new MemoryStream();
        var io = new ContainerIo { Stdout = output, Terminal = new TerminalSize(80, 24) };
        var run = Executor.RunAsync(Shell("trap 'stty size; exit 0' WINCH; echo ready; while true; do sleep 0.05; done"), io, Timeout);
        await WaitForOutput(output, "ready");
        io.Resize(new TerminalSize(132, 50));
        var exit = await run;
        Assert.True(exit.Succeeded, exit.ToString());
        Assert.Contains("50 132", Encoding.UTF8.GetString(output.ToArray()));
    }

    [Fact]
    public async Task Ctrl_c_on_the_terminal_interrupts_the_command()
    {
        var output = new MemoryStream();
        var input = new BlockingInput();
        var io = new ContainerIo { Stdin = input, Stdout = output, Terminal = new TerminalSize(80, 24) };
        var run = Executor.RunAsync(Shell("echo ready; exec sleep 100"), io, Timeout);
        await WaitForOutput(output, "ready");
        await Task.Delay(200, Timeout); // let sh exec sleep
        input.Send([0x03]);
        var exit = await run;
        Assert.Equal(2, exit.Signal); // SIGINT from the terminal's line discipline
    }

    private static async Task WaitForOutput(MemoryStream output, string text)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!Encoding.UTF8.GetString(output.ToArray()).Contains(text, StringComparison.Ordinal))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "no output: " + Encoding.UTF8.GetString(output.ToArray()));
            await Task.Delay(20, Timeout);
        }
    }

    /// <summary>Stdin that delivers bytes when the test sends them, like a person typing.</summary>
    private sealed class BlockingInput : Stream
    {
        private readonly System.Threading.Channels.Channel<byte[]> _chunks = System.Threading.Channels.Channel.CreateUnbounded<byte[]>();

        public void Send(byte[] bytes) => _chunks.Writer.TryWrite(bytes);

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var chunk = await _chunks.Reader.ReadAsync(cancellationToken);
            chunk.CopyTo(buffer);
            return chunk.Length;
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
