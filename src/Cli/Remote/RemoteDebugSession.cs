using System.Runtime.InteropServices;
using System.Threading.Channels;
using Builder.Cli.Terminal;
using Builder.Server.Client;
using Builder.Server.Protocol.Debugging;
using Google.Protobuf;
using Grpc.Core;

namespace Builder.Cli.Remote;

/// <summary>
/// The client side of a remote <c>builder debug shell</c> or <c>rerun</c>: one bidirectional stream carrying this
/// terminal's input (raw mode, so keys such as Ctrl-C reach the container's terminal as typed), window size
/// changes (SIGWINCH) and signals (an interrupt of this process becomes SIGINT for the command) to the server,
/// and the command's output and exit back.
/// </summary>
internal static class RemoteDebugSession
{
    private const int Sigint = 2;

    /// <summary>How long the server has to end the session after an interrupt before the call is dropped.</summary>
    private static readonly TimeSpan InterruptGrace = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Runs the session that <paramref name="start"/> describes (its tty and window are filled in here when this process
    /// has a terminal); <paramref name="started"/> and <paramref name="ended"/> print what the local command prints, and
    /// <paramref name="ended"/> returns the exit code.
    /// </summary>
    public static Task<int> RunAsync(CliContext cli, BuilderConnection connection, SessionStart start, bool tty,
        Func<SessionStarted, Task> started, Func<SessionStarted, SessionExit, Task<int>> ended, CancellationToken cancellationToken) =>
        RemoteDebugCommands.RunAsync(cli, connection, async () =>
        {
            start.Tty = tty;
            if (tty)
            {
                var size = RawTerminal.Size();
                start.Window = new WindowSize { Columns = size.Columns, Rows = size.Rows };
            }
            using var call = RemoteDebugCommands.Client(connection).Session(cancellationToken: CancellationToken.None);
            using var drop = new CancellationTokenSource();
            var inputs = Channel.CreateUnbounded<SessionInput>(new UnboundedChannelOptions { SingleReader = true });
            inputs.Writer.TryWrite(new SessionInput { Start = start });
            var writer = Task.Run(async () =>
            {
                await foreach (var input in inputs.Reader.ReadAllAsync(drop.Token).ConfigureAwait(false))
                {
                    await call.RequestStream.WriteAsync(input, drop.Token).ConfigureAwait(false);
                }
                await call.RequestStream.CompleteAsync().ConfigureAwait(false);
            }, CancellationToken.None);

            // An interrupt of this process (Ctrl-C without raw mode, or kill -INT) asks the server to signal the command;
            // if the session does not end soon after, the call is dropped, which stops the container.
            await using var interrupt = cancellationToken.Register(() =>
            {
                inputs.Writer.TryWrite(new SessionInput { Signal = new SignalRequest { Signal = Sigint } });
                drop.CancelAfter(InterruptGrace);
            });

            SessionStarted? session = null;
            SessionExit? exit = null;
            var stdout = cli.StdoutStream;
            var stderr = tty ? null : ReferenceEquals(cli, CliContext.Console) ? Console.OpenStandardError() : cli.StdoutStream;
            try
            {
                using (var raw = tty ? RawTerminal.Enter() : null)
                using (tty ? PosixSignalRegistration.Create(PosixSignal.SIGWINCH, _ => inputs.Writer.TryWrite(new SessionInput { Resize = Window() })) : null)
                {
                    await foreach (var output in call.ResponseStream.ReadAllAsync(drop.Token).ConfigureAwait(false))
                    {
                        switch (output.KindCase)
                        {
                            case SessionOutput.KindOneofCase.Started:
                                session = output.Started;
                                await started(session).ConfigureAwait(false);
                                if (start.Stdin)
                                {
                                    _ = Task.Run(() => PumpStdinAsync(cli.StdinStream, inputs.Writer, drop.Token), CancellationToken.None);
                                }
                                break;
                            case SessionOutput.KindOneofCase.Stdout:
                                await stdout.WriteAsync(output.Stdout.Memory, drop.Token).ConfigureAwait(false);
                                await stdout.FlushAsync(drop.Token).ConfigureAwait(false);
                                break;
                            case SessionOutput.KindOneofCase.Stderr when stderr is not null:
                                await stderr.WriteAsync(output.Stderr.Memory, drop.Token).ConfigureAwait(false);
                                await stderr.FlushAsync(drop.Token).ConfigureAwait(false);
                                break;
                            case SessionOutput.KindOneofCase.Exit:
                                exit = output.Exit;
                                break;
                        }
                    }
                }
            }
            finally
            {
                inputs.Writer.TryComplete();
            }
            await Task.WhenAny(writer, Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None)).ConfigureAwait(false);
            if (session is null || exit is null)
            {
                throw new RpcException(new Status(StatusCode.Internal, "the server ended the debug session without its exit status"));
            }
            return await ended(session, exit).ConfigureAwait(false);
        });

    /// <summary>Copies this process's stdin to the session until its end (sent as EOF) or the session's.</summary>
    private static async Task PumpStdinAsync(Stream stdin, ChannelWriter<SessionInput> inputs, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 << 10];
        try
        {
            int n;
            while ((n = await stdin.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (!inputs.TryWrite(new SessionInput { Stdin = new StdinData { Data = ByteString.CopyFrom(buffer, 0, n) } }))
                {
                    return;
                }
            }
            inputs.TryWrite(new SessionInput { Stdin = new StdinData { Eof = true } });
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The session ended first.
        }
    }

    private static WindowSize Window()
    {
        var size = RawTerminal.Size();
        return new WindowSize { Columns = size.Columns, Rows = size.Rows };
    }
}
