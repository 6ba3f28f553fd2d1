using System.Net;
using System.Net.Sockets;

namespace PositionLedger.Tests.Infrastructure;

/// <summary>
/// A loopback TCP proxy in front of the test PostgreSQL, so a test can cut the app off from its database
/// (closing every connection and refusing new ones) and then let it back, without stopping the server.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _open = [];
    private volatile bool _cut;

    public TcpProxy(string targetHost, int targetPort)
    {
        _targetHost = targetHost;
        _targetPort = targetPort;
        _listener.Start();
        _ = AcceptLoop();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public void Cut()
    {
        _cut = true;
        lock (_open)
        {
            foreach (var client in _open) client.Dispose();
            _open.Clear();
        }
    }

    public void Restore() => _cut = false;

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient incoming;
            try { incoming = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (OperationCanceledException) { return; }
            if (_cut) { incoming.Dispose(); continue; }
            _ = Pipe(incoming);
        }
    }

    private async Task Pipe(TcpClient incoming)
    {
        var outgoing = new TcpClient();
        try
        {
            await outgoing.ConnectAsync(_targetHost, _targetPort, _stop.Token);
            lock (_open) { _open.Add(incoming); _open.Add(outgoing); }
            await Task.WhenAny(
                incoming.GetStream().CopyToAsync(outgoing.GetStream(), _stop.Token),
                outgoing.GetStream().CopyToAsync(incoming.GetStream(), _stop.Token));
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // A cut connection: both ends are closed below.
        }
        finally
        {
            incoming.Dispose();
            outgoing.Dispose();
        }
    }

    public ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        Cut();
        return ValueTask.CompletedTask;
    }
}
