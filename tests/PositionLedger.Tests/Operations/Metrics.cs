using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using PositionLedger.Tests.Infrastructure;

namespace PositionLedger.Tests.Operations;

public sealed class MetricsApp() : AppFixture(["--Telemetry:Prometheus=true"]);

public sealed partial class when_prometheus_scrapes_the_app(MetricsApp app) : IClassFixture<MetricsApp>
{
    [Fact]
    public async Task it_finds_the_ledgers_own_metrics_and_they_count_what_happened()
    {
        var before = await ScrapeAsync();
        var key = $"metrics-{Guid.NewGuid():N}";

        var party = new { id = $"p{Guid.NewGuid():N}"[..20], name = "A party" };
        (await PostAsync(party, key)).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await PostAsync(party, key)).Headers.GetValues("Idempotent-Replayed").ShouldBe(["true"]);
        (await app.Client.PostAsJsonAsync("/api/parties", new { id = "Not A Slug", name = "X" }))
            .StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        // At least: the meter is the process's, and other tests' apps may run in it at the same time.
        var after = await ScrapeAsync();
        Value(after, "positionledger_appends_total", "event_type=\"party_registered\"")
            .ShouldBeGreaterThanOrEqualTo(Value(before, "positionledger_appends_total", "event_type=\"party_registered\"") + 1);
        Value(after, "positionledger_idempotent_replays_total")
            .ShouldBeGreaterThanOrEqualTo(Value(before, "positionledger_idempotent_replays_total") + 1);
        Value(after, "positionledger_rejected_inputs_total", "reason=\"invalid\"")
            .ShouldBeGreaterThanOrEqualTo(Value(before, "positionledger_rejected_inputs_total", "reason=\"invalid\"") + 1);
        after.ShouldContain("positionledger_live_subscribers");
        after.ShouldContain("positionledger_projection_lag");
        // What the frameworks emit comes through the same endpoint. ASP.NET records a request's duration after its
        // response has gone out, so the client may scrape before the last one is counted: scrape again briefly.
        for (var i = 0; i < 50 && !after.Contains("http_server_request_duration_seconds", StringComparison.Ordinal); i++)
        {
            await Task.Delay(100);
            after = await ScrapeAsync();
        }
        after.ShouldContain("http_server_request_duration_seconds");
    }

    [Fact]
    public async Task a_live_feed_subscriber_is_counted_while_connected()
    {
        using var feed = new HttpClient { BaseAddress = app.Client.BaseAddress };
        using var response = await feed.GetAsync("/api/events/live", HttpCompletionOption.ResponseHeadersRead);
        await using var stream = await response.Content.ReadAsStreamAsync();
        (await stream.ReadAsync(new byte[64])).ShouldBeGreaterThan(0); // the "ready" event: the subscription is running

        Value(await ScrapeAsync(), "positionledger_live_subscribers").ShouldBeGreaterThanOrEqualTo(1);
    }

    private Task<HttpResponseMessage> PostAsync(object body, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/parties") { Content = JsonContent.Create(body) };
        request.Headers.Add("Idempotency-Key", key);
        return app.Client.SendAsync(request);
    }

    private async Task<string> ScrapeAsync()
    {
        var response = await app.Anonymous.GetAsync("/metrics");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The value of a series in Prometheus's text format (0 when it has not appeared yet).</summary>
    private static double Value(string scrape, string name, string? label = null) =>
        scrape.Split('\n')
            .Where(line => line.StartsWith(name, StringComparison.Ordinal)
                && (line.Length == name.Length || line[name.Length] is '{' or ' '))
            .Where(line => label is null || line.Contains(label, StringComparison.Ordinal))
            .Select(line => double.Parse(SampleValue().Match(line).Groups["value"].Value, CultureInfo.InvariantCulture))
            .DefaultIfEmpty(0).Sum();

    [GeneratedRegex(@"^\S+(\{.*\})? (?<value>\S+)")]
    private static partial Regex SampleValue();
}
