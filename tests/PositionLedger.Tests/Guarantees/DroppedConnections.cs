using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using PositionLedger.Infrastructure;
using PositionLedger.Imports;
using PositionLedger.Statements;
using PositionLedger.Tests.Infrastructure;
using Xunit.Abstractions;
using static PositionLedger.Tests.Infrastructure.Scenario;

namespace PositionLedger.Tests.Guarantees;

/// <summary>
/// A client sends a keyed write over a raw socket and resets the connection (RST) at a random point: mid-headers,
/// mid-body, right after the body, or while the server processes it. Its retry with the same key must land the
/// write exactly once, and a further retry replays that answer. The reset points come from a seeded Random; the
/// seed is printed with every failure, and POSITIONLEDGER_DROP_SEED replays a run.
/// </summary>
public sealed class when_a_client_drops_its_connection_and_retries(AppFixture app, ITestOutputHelper output) : ApiTest(app)
{
    private const int Trials = 120;
    private const int ImportLines = 200;

    private enum Cut { MidHeaders, MidBody, AfterBody, WhileProcessing }

    /// <summary>A keyed write and what it must do once: its answer's status and how many events it appends.</summary>
    private sealed record Write(string Path, string ContentType, string Body, HttpStatusCode Success, int Appends);

    private static string StatementJson(string quote) => $$$"""
        {"party":"russia","issue":"ceasefire","stance":"conditional","speaker":"Vladimir Putin",
         "quote":"{{{quote}}}","statedAt":"2025-03-13","source":{"outlet":"Wire"}}
        """;

    [Fact]
    public async Task a_statement_reset_at_any_point_lands_exactly_once_when_retried_with_its_key()
    {
        await App.GivenPartiesAndIssuesAsync(["russia"], ["ceasefire"]);

        await RunTrialsAsync("statement", async (trial, seed) =>
        {
            var quote = $"Dropped {seed}/{trial}";
            var write = new Write("/api/statements", "application/json", StatementJson(quote), HttpStatusCode.Created, 1);
            return (write, async response =>
            {
                var appended = (await response.Content.ReadFromJsonAsync<StatementAppended>())!;
                var statement = (await Client.GetFromJsonAsync<StatementView>($"/api/statements/{appended.Id}"))!;
                return statement.Quote == quote ? null : $"the answer names statement {appended.Id}, whose quote is '{statement.Quote}'";
            });
        });
    }

    [Fact]
    public async Task a_correction_reset_at_any_point_lands_exactly_once_when_retried_with_its_key()
    {
        await App.GivenPartiesAndIssuesAsync(["russia"], ["ceasefire"]);
        var stated = Stated("russia", "ceasefire", Stance.Conditional, "2025-03-13");
        await App.GivenAsync(stated);
        var url = $"/api/statements/{stated.StatementId}";

        await RunTrialsAsync("correction", async (trial, seed) =>
        {
            var version = (await Client.GetFromJsonAsync<StatementView>(url))!.Version;
            var quote = $"Corrected {seed}/{trial}";
            var body = $$"""{"expectedVersion":{{version}},"reason":"Trial {{trial}}","quote":"{{quote}}"}""";
            var write = new Write($"{url}/corrections", "application/json", body, HttpStatusCode.OK, 1);
            return (write, async response =>
            {
                var statement = (await Client.GetFromJsonAsync<StatementView>(url))!;
                return statement.Version == version + 1 && statement.Quote == quote
                    ? null
                    : $"the statement is at version {statement.Version} with quote '{statement.Quote}', not {version + 1} with '{quote}'";
            });
        });
    }

    [Fact]
    public async Task an_import_without_ids_reset_at_any_point_lands_each_line_exactly_once_when_retried_with_its_key()
    {
        await App.GivenPartiesAndIssuesAsync(["russia"], ["ceasefire"]);

        await RunTrialsAsync("import", async (trial, seed) =>
        {
            var lines = Enumerable.Range(1, ImportLines)
                .Select(n => StatementJson($"Imported {seed}/{trial} line {n}").ReplaceLineEndings(""));
            var write = new Write(
                ImportStatementsEndpoint.Route, "application/x-ndjson", string.Join('\n', lines), HttpStatusCode.OK, ImportLines);
            return (write, async response =>
            {
                var report = (await response.Content.ReadFromJsonAsync<ImportReport>())!;
                return report.Received == ImportLines ? null : $"the report received {report.Received} lines, not {ImportLines}";
            });
        });
    }

    /// <summary>Runs the trials, each with a write of its own; collects every trial's failure and fails with them all.</summary>
    private async Task RunTrialsAsync(
        string route, Func<int, int, Task<(Write Write, Func<HttpResponseMessage, Task<string?>> Check)>> trialWrite)
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("POSITIONLEDGER_DROP_SEED"), out var given)
            ? given
            : Random.Shared.Next();
        output.WriteLine($"{route}: seed {seed} (POSITIONLEDGER_DROP_SEED={seed} replays these reset points)");
        var random = new Random(seed);
        var failures = new List<string>();
        // A failed trial is reported with what the app logged as an error meanwhile (the cause of a 500).
        var log = ExceptionLog.Into(App.Services);
        try
        {
            for (var trial = 0; trial < Trials; trial++)
            {
                var (write, check) = await trialWrite(trial, seed);
                // Most trials cut while the server works on the write: that is where the windows are narrow.
                var cut = random.Next(20) switch { < 3 => Cut.MidHeaders, < 6 => Cut.MidBody, < 10 => Cut.AfterBody, _ => Cut.WhileProcessing };
                log.Drain();
                var failure = await TrialAsync($"{route}-{seed}-{trial}", write, cut, random, check);
                if (failure is not null)
                    failures.Add($"trial {trial}: {failure}{(log.Drain() is [_, ..] logged ? $" (logged: {string.Join(" / ", logged.Distinct())})" : "")}");
            }
        }
        finally
        {
            log.Recording = false;
        }
        failures.ShouldBeEmpty($"seed {seed}: {failures.Count} of {Trials} {route} trials did not land exactly once");
    }

    /// <summary>Sends the write and resets it at the cut, retries it with the key until answered, and checks it landed once.</summary>
    private async Task<string?> TrialAsync(string key, Write write, Cut cut, Random random, Func<HttpResponseMessage, Task<string?>> check)
    {
        var before = await App.EventCountAsync();
        var reset = await SendAndResetAsync(key, write, cut, random);

        using var retried = await RetryAsync(key, write);
        var retriedBody = await retried.Content.ReadAsStringAsync();
        var replayed = retried.Headers.Contains("Idempotent-Replayed");
        var appended = await App.EventCountAsync() - before;
        var answer = $"{reset}; the retry answered {(int)retried.StatusCode}{(replayed ? " replayed" : "")}";
        output.WriteLine($"{key}: {answer}, {appended} events appended");
        if (retried.StatusCode != write.Success)
            return $"{answer} (not {(int)write.Success}): {Abbreviated(retriedBody)}; {appended} of {write.Appends} events appended";
        if (appended != write.Appends) return $"{answer}, but {appended} events were appended, not {write.Appends}";
        if (retriedBody.Length == 0) return $"{answer} with an empty body; {appended} events appended";
        try
        {
            if (await check(retried) is { } wrong) return $"{answer}, but {wrong}";
        }
        catch (System.Text.Json.JsonException)
        {
            return $"{answer} with a body that is not the write's answer: {Abbreviated(retriedBody)}";
        }

        using var again = await RetryAsync(key, write);
        var againBody = await again.Content.ReadAsStringAsync();
        var afterAgain = await App.EventCountAsync() - before;
        if (again.StatusCode != write.Success || !again.Headers.Contains("Idempotent-Replayed") || againBody != retriedBody)
        {
            var replayedAgain = again.Headers.Contains("Idempotent-Replayed");
            return $"{answer}; a second retry answered {(int)again.StatusCode}, replayed: {replayedAgain}: {Abbreviated(againBody)}";
        }
        if (afterAgain != write.Appends) return $"{answer}; a second retry appended {afterAgain - appended} events more";
        return null;
    }

    /// <summary>
    /// The request by hand over a raw socket (HTTP/1.1, the editor's key, the idempotency key, Content-Length), closed
    /// with linger 0 so that the kernel sends an RST, not a FIN. Returns where it was cut, for the report.
    /// </summary>
    private async Task<string> SendAndResetAsync(string key, Write write, Cut cut, Random random)
    {
        var body = Encoding.UTF8.GetBytes(write.Body);
        // The content type exactly as the retry sends it: the key's request hash covers it.
        using var content = Content(write);
        var head = Encoding.ASCII.GetBytes(
            $"POST {write.Path} HTTP/1.1\r\nHost: {App.BaseAddress.Authority}\r\nAuthorization: Bearer {AppFixture.EditorKey}\r\n" +
            $"{Idempotency.Header}: {key}\r\nContent-Type: {content.Headers.ContentType}\r\nContent-Length: {body.Length}\r\n\r\n");
        byte[] request = [.. head, .. body];
        var sent = cut switch
        {
            Cut.MidHeaders => random.Next(1, head.Length),
            Cut.MidBody => head.Length + random.Next(0, body.Length),
            _ => request.Length,
        };
        // Up to 50 ms: half of them spread evenly (an import works for tens of milliseconds), half crowded near zero (a
        // statement's windows, between taking the key and reading the body or writing the answer, are a few ms wide).
        var delay = cut == Cut.WhileProcessing
            ? TimeSpan.FromMicroseconds(Math.Round(50_000 * Math.Pow(random.NextDouble(), random.Next(2) == 0 ? 1 : 3)))
            : TimeSpan.Zero;

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(App.BaseAddress.Host, App.BaseAddress.Port);
        for (var offset = 0; offset < sent;) offset += await socket.SendAsync(request.AsMemory(offset, sent - offset), SocketFlags.None);
        await WaitAsync(delay);
        socket.LingerState = new LingerOption(true, 0);
        socket.Close();
        return cut switch
        {
            Cut.MidHeaders => $"reset after {sent} of {head.Length} header bytes",
            Cut.MidBody => $"reset after {sent - head.Length} of {body.Length} body bytes",
            Cut.AfterBody => "reset right after the body",
            _ => $"reset {delay.TotalMilliseconds:0.0} ms after the body",
        };
    }

    /// <summary>
    /// The retry a real client makes: the same key and body, again after a short wait while the server answers that
    /// the first request with the key is still being processed (409 with Retry-After).
    /// </summary>
    private async Task<HttpResponseMessage> RetryAsync(string key, Write write)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, write.Path) { Content = Content(write) };
            request.Headers.Add(Idempotency.Header, key);
            var response = await Client.SendAsync(request);
            var stillRunning = response.StatusCode == HttpStatusCode.Conflict && response.Headers.RetryAfter is not null;
            if (!stillRunning || clock.Elapsed > TimeSpan.FromMinutes(1)) return response;
            response.Dispose();
            await Task.Delay(100);
        }
    }

    /// <summary>Waits the delay, to the tenth of a millisecond below 5 ms (where the timer is too coarse).</summary>
    private static async Task WaitAsync(TimeSpan delay)
    {
        if (delay >= TimeSpan.FromMilliseconds(5))
        {
            await Task.Delay(delay);
            return;
        }
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < delay) Thread.SpinWait(100);
    }

    private static StringContent Content(Write write) => new(write.Body, Encoding.UTF8, write.ContentType);

    private static string Abbreviated(string text) => text.Length <= 300 ? text : $"{text[..300]}...";
}
