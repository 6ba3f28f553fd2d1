using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using PositionLedger.Tests.Infrastructure;

namespace PositionLedger.Tests.Security;

public sealed class when_calling_without_the_right_credential(AppFixture app) : ApiTest(app)
{
    /// <summary>Every route the app serves, read from its own route table, with placeholders filled in.</summary>
    private IEnumerable<(string Method, string Url)> Routes() =>
        App.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => (m, e.RoutePattern.RawText!)))
            .Select(r => (r.Item1, "/" + r.Item2.TrimStart('/')
                .Replace("{id}", Guid.NewGuid().ToString(), StringComparison.Ordinal)
                .Replace("{party}", "russia", StringComparison.Ordinal)));

    [Fact]
    public async Task every_write_route_refuses_anonymous_and_reader_callers_and_appends_nothing()
    {
        var writes = Routes().Where(r => r.Method != "GET").ToList();
        writes.Count.ShouldBeGreaterThanOrEqualTo(5);
        writes.ShouldContain(("POST", "/api/statements"));

        foreach (var (method, url) in writes)
        {
            var anonymous = await App.Anonymous.SendAsync(new HttpRequestMessage(new HttpMethod(method), url) { Content = Json("{}") });
            await anonymous.ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
            anonymous.Headers.WwwAuthenticate.ToString().ShouldBe("Bearer");

            var reader = await App.Reader.SendAsync(new HttpRequestMessage(new HttpMethod(method), url) { Content = Json("{}") });
            await reader.ShouldBeProblemAsync(HttpStatusCode.Forbidden);
        }
        (await App.EventCountAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task reads_are_anonymous_by_default_except_the_review_queue()
    {
        var reads = Routes().Where(r => r.Method == "GET" && !r.Url.Contains("live", StringComparison.Ordinal)).ToList();
        reads.Count.ShouldBeGreaterThanOrEqualTo(8);
        foreach (var (_, url) in reads)
        {
            var response = await App.Anonymous.GetAsync(url);
            if (url.StartsWith("/api/reviews", StringComparison.Ordinal))
            {
                // What waits for review is for editors and verifiers only.
                await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
                await (await App.Reader.GetAsync(url)).ShouldBeProblemAsync(HttpStatusCode.Forbidden);
                continue;
            }
            response.StatusCode.ShouldNotBe(HttpStatusCode.Unauthorized, url);
            response.StatusCode.ShouldNotBe(HttpStatusCode.Forbidden, url);
        }
    }

    [Fact]
    public async Task an_unknown_key_is_refused()
    {
        var stranger = App.ClientWithKey("not-a-key");
        await (await stranger.PostJsonAsync("/api/parties", """{"id":"x","name":"X"}""")).ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
    }

    private static StringContent Json(string body) => new(body, System.Text.Encoding.UTF8, "application/json");
}

/// <summary>An app that allows three wrong keys per minute from one address.</summary>
public sealed class LowFailedKeyLimitApp() : AppFixture(["--Auth:FailedKeysPerMinute=3"]);

public sealed class when_a_client_guesses_keys(LowFailedKeyLimitApp app) : IClassFixture<LowFailedKeyLimitApp>
{
    [Fact]
    public async Task wrong_keys_beyond_the_limit_get_429_and_right_keys_and_anonymous_reads_are_not_limited()
    {
        var guesser = app.ClientWithKey("guess-0000000000000000000000000000000000");
        for (var i = 0; i < 3; i++)
            await (await guesser.PostAsJsonAsync("/api/parties", new { id = "x", name = "X" }))
                .ShouldBeProblemAsync(HttpStatusCode.Unauthorized);

        var limited = await guesser.GetAsync("/api/parties");
        await limited.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests);
        limited.Headers.RetryAfter!.Delta!.Value.TotalSeconds.ShouldBeGreaterThanOrEqualTo(1);

        (await app.Client.GetAsync("/api/parties")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await app.Anonymous.GetAsync("/api/parties")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}

public sealed class when_the_app_is_configured_with_a_short_key
{
    [Fact]
    public async Task it_refuses_to_start_and_names_the_key()
    {
        var connectionString = await TestDatabase.ConnectionStringAsync();

        var refused = Should.Throw<Microsoft.Extensions.Options.OptionsValidationException>(() => PositionLedgerApp.Build([
            "--environment=Development", "--urls=http://127.0.0.1:0",
            $"--ConnectionStrings:PositionLedger={connectionString}", "--PositionLedger:Schema=test_shortkey",
            "--Auth:ApiKeys:0:Key=short-but-not-empty", "--Auth:ApiKeys:0:Name=newsdesk", "--Auth:ApiKeys:0:Role=editor",
        ]));

        refused.Message.ShouldContain("'newsdesk'");
        refused.Message.ShouldContain($"at least {PositionLedger.Infrastructure.AuthSettings.MinKeyLength}");
    }
}
