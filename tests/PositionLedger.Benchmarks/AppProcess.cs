using System.Diagnostics;

namespace PositionLedger.Benchmarks;

/// <summary>The real app as its own process (Release build, generated code loaded statically), on loopback.</summary>
public sealed class AppProcess : IAsyncDisposable
{
    public const string EditorKey = "bench-editor-key";

    private readonly Process _process;

    private AppProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    public int Pid => _process.Id;

    /// <summary>Starts the app and returns it with the time from process start to its first successful response.</summary>
    public static async Task<(AppProcess App, TimeSpan Startup)> StartAsync(string dll, string connectionString, string schema, int port)
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
        info.Environment["Auth__ApiKeys__0__Name"] = "bench";
        info.Environment["Auth__ApiKeys__0__Role"] = "editor";
        info.Environment["RateLimits__WritesPerSecond"] = "1000000";
        info.Environment["RateLimits__WriteBurst"] = "1000000";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";

        var clock = Stopwatch.StartNew();
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"  app: {e.Data}"); };
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

    /// <summary>The process's peak resident memory so far (VmHWM), in MiB.</summary>
    public double PeakMemoryMiB()
    {
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
        }
        return double.NaN;
    }

    public HttpClient Client(bool editor = true)
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = Address, Timeout = TimeSpan.FromMinutes(10) };
        if (editor) client.DefaultRequestHeaders.Authorization = new("Bearer", EditorKey);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
