using System.Diagnostics;
using System.Globalization;

namespace PositionLedger.Benchmarks;

/// <summary>
/// B9: many subscribers on /api/events/live while statements are appended one at a time; per delivery, the time from
/// the event's record time (stamped in the appending transaction, before it commits) to its receipt by a subscriber.
/// Client and app share this machine's clock.
/// </summary>
internal static class LiveFeedLatency
{
    /// <param name="FirstReceipt">Per event, the earliest subscriber's latency: where the feed's own delay ends and the
    /// fan-out to a thousand readers (on the same cores) begins.</param>
    public sealed record Outcome(Percentiles Latency, long Deliveries, int Subscribers, int Complete, Percentiles FirstReceipt);

    public static async Task<Outcome> MeasureAsync(Uri address, int subscribers, int appends, Func<int, Task> append)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = subscribers + 16 };
        using var http = new HttpClient(handler) { BaseAddress = address, Timeout = Timeout.InfiniteTimeSpan };
        using var stop = new CancellationTokenSource();
        var latencies = new List<double>[subscribers];
        var connected = 0;
        var allConnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var readers = Enumerable.Range(0, subscribers).Select(i => Task.Run(async () =>
        {
            var mine = latencies[i] = [];
            try
            {
                using var response = await http.GetAsync("/api/events/live", HttpCompletionOption.ResponseHeadersRead, stop.Token);
                response.EnsureSuccessStatusCode();
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(stop.Token));
                var statement = false;
                while (await reader.ReadLineAsync(stop.Token) is { } line)
                {
                    if (line.StartsWith("event: ", StringComparison.Ordinal))
                    {
                        statement = line == "event: position_stated";
                        if (line == "event: ready" && Interlocked.Increment(ref connected) == subscribers) allConnected.TrySetResult();
                    }
                    else if (statement && line.StartsWith("data: ", StringComparison.Ordinal))
                    {
                        var received = DateTimeOffset.UtcNow;
                        lock (mine) mine.Add((received - RecordedAt(line)).TotalMilliseconds);
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // The measurement is over.
            }
        })).ToList();

        await allConnected.Task.WaitAsync(TimeSpan.FromMinutes(2));
        for (var n = 0; n < appends; n++)
        {
            await append(n);
            await Task.Delay(20);
        }
        // Every subscriber should get every append; give stragglers a few seconds.
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(10) && latencies.Any(l => { lock (l) return l.Count < appends; }))
            await Task.Delay(100);
        await stop.CancelAsync();
        await Task.WhenAll(readers);
        var all = latencies.SelectMany(l => l).ToList();
        var complete = latencies.Where(l => l.Count == appends).ToList();
        var first = Enumerable.Range(0, appends).Select(n => complete.Count > 0 ? complete.Min(l => l[n]) : double.NaN).ToList();
        return new Outcome(Percentiles.Of(all), all.Count, subscribers, complete.Count, Percentiles.Of(first));
    }

    private static DateTimeOffset RecordedAt(string dataLine)
    {
        const string Key = "\"recordedAt\":\"";
        var start = dataLine.IndexOf(Key, StringComparison.Ordinal) + Key.Length;
        var end = dataLine.IndexOf('"', start);
        return DateTimeOffset.Parse(dataLine.AsSpan(start, end - start), CultureInfo.InvariantCulture);
    }
}
