using System.Diagnostics;
using System.Net;
using PositionLedger.Infrastructure;
using PositionLedger.Tests.Infrastructure;

namespace PositionLedger.Benchmarks;

/// <summary>
/// B11: stance reads per second from many clients at once, four ways: (a) uncached on the primary, (b) conditional
/// requests answered 304, (c) settled URLs through nginx's cache, (d) uncached on a local streaming replica.
/// </summary>
public static class PublicReads
{
    public const int Clients = 64;
    public static readonly TimeSpan Phase = TimeSpan.FromSeconds(10);

    /// <summary>Settled stance URLs: every party at several valid times, as known at one settled moment.</summary>
    public static string[] Urls(DateTimeOffset settled) =>
        [.. from party in SyntheticLedger.Parties
            from day in Enumerable.Range(1, 10)
            select $"/api/parties/{party}/stance?asOf=2025-0{1 + day % 9}-{10 + day:00}&knownAt="
                + Uri.EscapeDataString(Instants.Format(settled, false))];

    /// <summary>Requests per second over <see cref="Phase"/> from <see cref="Clients"/> clients; every answer is checked.</summary>
    public static async Task<double> RateAsync(
        HttpClient client, string[] urls, HttpStatusCode expected, Func<HttpRequestMessage, HttpRequestMessage>? shape = null,
        Action<HttpResponseMessage>? check = null)
    {
        long done = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(async worker =>
        {
            var i = worker;
            while (clock.Elapsed < Phase)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, urls[i++ % urls.Length]);
                shape?.Invoke(request);
                using var response = await client.SendAsync(request);
                if (response.StatusCode != expected)
                    throw new InvalidOperationException($"{request.RequestUri}: {(int)response.StatusCode}, expected {(int)expected}");
                check?.Invoke(response);
                await response.Content.CopyToAsync(Stream.Null);
                Interlocked.Increment(ref done);
            }
        }));
        return done / clock.Elapsed.TotalSeconds;
    }

    /// <summary>Debian's nginx in front of the app, caching as the app marks its answers (as deploy/nginx.conf does).</summary>
    public sealed class Nginx : IAsyncDisposable
    {
        private readonly string _directory;
        private readonly Process _process;

        private Nginx(string directory, Process process, int port)
        {
            _directory = directory;
            _process = process;
            Address = new Uri($"http://127.0.0.1:{port}");
        }

        public Uri Address { get; }

        public static async Task<Nginx> StartAsync(int port, int appPort)
        {
            var binary = "/usr/sbin/nginx";
            if (!File.Exists(binary)) await RunAsync("bash", "-c", "apt-get install -y -qq nginx-light >/dev/null 2>&1 || "
                + "(apt-get update -qq && apt-get install -y -qq nginx-light) >/dev/null");
            // A port someone else holds would be answered by them: refuse to measure that.
            var probePort = new System.Net.Sockets.TcpListener(IPAddress.Loopback, port);
            probePort.Start();
            probePort.Stop();
            var directory = Path.Combine(Path.GetTempPath(), $"positionledger-nginx-{Guid.NewGuid():N}");
            Directory.CreateDirectory(Path.Combine(directory, "cache"));
            var config = Path.Combine(directory, "nginx.conf");
            await File.WriteAllTextAsync(config, $$"""
                daemon off;
                worker_processes 1;
                error_log {{directory}}/error.log;
                pid {{directory}}/nginx.pid;
                events { worker_connections 1024; }
                http {
                  access_log off;
                  proxy_cache_path {{directory}}/cache keys_zone=reads:10m max_size=1g inactive=7d use_temp_path=off;
                  upstream api { server 127.0.0.1:{{appPort}}; keepalive 64; }
                  server {
                    listen 127.0.0.1:{{port}};
                    location / {
                      proxy_pass http://api;
                      proxy_http_version 1.1;
                      proxy_set_header Connection "";
                      proxy_cache reads;
                      proxy_cache_key $scheme$host$request_uri;
                      proxy_cache_bypass $http_authorization;
                      proxy_no_cache $http_authorization;
                      add_header X-Cache $upstream_cache_status always;
                    }
                  }
                }
                """);
            var process = Process.Start(new ProcessStartInfo(binary, ["-c", config, "-p", directory])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            })!;
            var nginx = new Nginx(directory, process, port);
            using var probe = new HttpClient { BaseAddress = nginx.Address };
            for (var i = 0; i < 100; i++)
            {
                if (process.HasExited) throw new InvalidOperationException($"nginx exited: {await process.StandardError.ReadToEndAsync()}");
                try
                {
                    if ((await probe.GetAsync("/api/parties")).IsSuccessStatusCode) return nginx;
                }
                catch (HttpRequestException) { }
                await Task.Delay(100);
            }
            throw new TimeoutException("nginx did not answer.");
        }

        public async ValueTask DisposeAsync()
        {
            // The whole tree: a worker left behind would keep the port and answer the next run from a deleted cache.
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            Directory.Delete(_directory, recursive: true);
        }
    }

    /// <summary>A streaming replica of the bench's local cluster, made and removed with deploy/local-postgres.sh.</summary>
    public static async Task<string> StartReplicaAsync(string directory, int port, int primaryPort) =>
        await RunAsync(Path.Combine(Repository.Root, "deploy", "local-postgres.sh"), "replica", directory, $"{port}", $"{primaryPort}");

    public static Task RemoveReplicaAsync(string directory) =>
        RunAsync(Path.Combine(Repository.Root, "deploy", "local-postgres.sh"), "remove", directory);

    private static async Task<string> RunAsync(string file, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', arguments)}: {await errors}");
        return (await output).Trim();
    }
}
