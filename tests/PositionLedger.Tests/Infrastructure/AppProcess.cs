using System.Diagnostics;

namespace PositionLedger.Tests.Infrastructure;

/// <summary>
/// The real app as its own OS process on loopback, as it is deployed: for the multi-node and crash tests
/// and for the benchmarks (which link this file). It can be stopped abruptly (SIGKILL).
/// </summary>
public sealed class AppProcess : IAsyncDisposable
{
    public const string EditorKey = "process-editor-key-0123456789abcdef";
    public const string VerifierKey = "process-verifier-key-0123456789abcde";

    /// <summary>Settings for a node with review on (Editorial:RequireReview) and a verifier beside the editor.</summary>
    public static readonly IReadOnlyDictionary<string, string> UnderReview = new Dictionary<string, string>
    {
        ["Editorial__RequireReview"] = "true",
        ["Auth__ApiKeys__1__Key"] = VerifierKey,
        ["Auth__ApiKeys__1__Name"] = "process-verifier",
        ["Auth__ApiKeys__1__Role"] = "verifier",
    };

    private readonly Process _process;

    private AppProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Starts the app and returns it with the time from process start to its first successful response.</summary>
    public static async Task<(AppProcess App, TimeSpan Startup)> StartAsync(
        string dll, string connectionString, string schema, int port, IReadOnlyDictionary<string, string>? settings = null)
    {
        var info = new ProcessStartInfo("dotnet", [dll, "--urls", $"http://127.0.0.1:{port}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        info.Environment["ConnectionStrings__PositionLedger"] = connectionString;
        info.Environment["PositionLedger__Schema"] = schema;
        info.Environment["Auth__ApiKeys__0__Key"] = EditorKey;
        info.Environment["Auth__ApiKeys__0__Name"] = "process-editor";
        info.Environment["Auth__ApiKeys__0__Role"] = "editor";
        info.Environment["RateLimits__WritesPerSecond"] = "1000000";
        info.Environment["RateLimits__WriteBurst"] = "1000000";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) info.Environment[key] = value;

        var clock = Stopwatch.StartNew();
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var address = new Uri($"http://127.0.0.1:{port}");
        using var probe = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(2) };
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (process.HasExited) throw new InvalidOperationException($"The app exited with {process.ExitCode} while starting.");
            try
            {
                if ((await probe.GetAsync("/api/parties")).IsSuccessStatusCode) return (new AppProcess(process, address), clock.Elapsed);
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(10);
        }
        process.Kill(entireProcessTree: true);
        throw new TimeoutException("The app did not answer within 60 s.");
    }

    /// <summary>The app as built beside this test assembly's configuration (Debug or Release).</summary>
    public static string BuiltDll()
    {
        var configuration = AppContext.BaseDirectory.Contains(
            $"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        return Path.Combine(Repository.Root, "src", "PositionLedger.Api", "bin", configuration, "net10.0", "PositionLedger.Api.dll");
    }

    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The process's peak resident memory so far (VmHWM), in MiB.</summary>
    public double PeakMemoryMiB()
    {
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1],
                    System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
        }
        return double.NaN;
    }

    public HttpClient Client(bool editor = true)
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 })
        {
            BaseAddress = Address,
            Timeout = TimeSpan.FromMinutes(10),
        };
        if (editor) client.DefaultRequestHeaders.Authorization = new("Bearer", EditorKey);
        return client;
    }

    public HttpClient ClientWithKey(string key)
    {
        var client = Client(editor: false);
        client.DefaultRequestHeaders.Authorization = new("Bearer", key);
        return client;
    }

    /// <summary>Stops it the hard way: SIGKILL, no shutdown of any kind.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }
}
