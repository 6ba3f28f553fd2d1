using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using PositionLedger.Statements;
using PositionLedger.Tests.Infrastructure;
using PositionLedger.Tests.Web;
using static PositionLedger.Tests.Infrastructure.Scenario;

namespace PositionLedger.Tests.Stances;

/// <summary>No allowance for clock skew, so a knownAt settles as soon as the ledger's transactions let it.</summary>
public sealed class NoClockSkewApp() : AppFixture(["--Reads:ClockSkewSeconds=0"]);

public sealed class when_a_read_is_cached(NoClockSkewApp app) : IClassFixture<NoClockSkewApp>, IAsyncLifetime
{
    public static TheoryData<string> Routes() =>
    [
        "/api/parties/russia/stance?asOf=2025-03-13",
        "/api/stances?asOf=2025-03-13",
        "/api/parties/russia/changes?from=2025-03-01&to=2025-03-13",
        "/api/timeline?party=russia",
        "/api/stances.csv?asOf=2025-03-13",
        "/api/parties/ukraine/claims-made?asOf=2025-03-13",
        "/api/parties/russia/flips?from=2025-03-01",
        "/api/issues/ceasefire/convergence?from=2025-03-01",
    ];

    public async Task InitializeAsync()
    {
        await app.ResetAsync();
        await app.GivenPartiesAndIssuesAsync(["russia", "ukraine"], ["ceasefire"]);
        await app.GivenAsync(Stated("russia", "ceasefire", Stance.Rejects, "2025-03-12"));
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task a_settled_knownAt_is_immutable_and_a_repeat_is_304_without_a_body(string route)
    {
        var url = $"{route}&knownAt={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddSeconds(-1).ToString("O"))}";

        var first = await app.Anonymous.GetAsync(url);

        first.StatusCode.ShouldBe(HttpStatusCode.OK);
        first.Headers.CacheControl!.ToString().ShouldBe("public, max-age=31536000, immutable");
        first.Headers.ETag!.IsWeak.ShouldBeFalse();
        var again = new HttpRequestMessage(HttpMethod.Get, url);
        again.Headers.IfNoneMatch.Add(first.Headers.ETag);
        var repeat = await app.Anonymous.SendAsync(again);
        repeat.StatusCode.ShouldBe(HttpStatusCode.NotModified);
        (await repeat.Content.ReadAsByteArrayAsync()).ShouldBeEmpty();
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task without_knownAt_it_is_pinned_to_now_briefly_cached_and_304_until_the_ledger_changes(string route)
    {
        // The ETag also lists the ledger's open transactions, and the app's own background work opens some (the
        // projection daemon's polls): a pair of requests that meets one differs, the next pair does not.
        HttpResponseMessage first = null!;
        var notModified = false;
        for (var tries = 0; tries < 5 && !notModified; tries++)
        {
            first = await app.Anonymous.GetAsync(route);
            notModified = (await Conditional(route, first.Headers.ETag!)).StatusCode == HttpStatusCode.NotModified;
        }

        notModified.ShouldBeTrue();
        first.StatusCode.ShouldBe(HttpStatusCode.OK);
        first.Headers.CacheControl!.ToString().ShouldBe("public, max-age=5");
        first.Headers.ETag!.IsWeak.ShouldBeTrue();
        var pinned = first.Content.Headers.ContentLocation!.ToString();
        pinned.ShouldContain("knownAt=");
        (await (await app.Anonymous.GetAsync(pinned)).Content.ReadAsStringAsync()).ShouldBe(await first.Content.ReadAsStringAsync());

        await app.GivenAsync(Stated("russia", "ceasefire", Stance.Conditional, "2025-03-13"));

        (await Conditional(route, first.Headers.ETag)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task a_knownAt_is_not_immutable_while_a_transaction_of_the_ledger_that_began_before_it_is_open()
    {
        var ledger = app.Services.GetRequiredService<NpgsqlDataSource>();
        await using var writer = await ledger.OpenConnectionAsync();
        await using var transaction = await writer.BeginTransactionAsync();
        await using (var begin = new NpgsqlCommand("select now()", writer, transaction)) await begin.ExecuteScalarAsync();
        await Task.Delay(50);
        var url = $"/api/stances?knownAt={Uri.EscapeDataString(DateTimeOffset.UtcNow.ToString("O"))}";
        await Task.Delay(50);

        (await app.Anonymous.GetAsync(url)).Headers.CacheControl!.ToString().ShouldBe("public, max-age=5");

        await transaction.CommitAsync();

        (await app.Anonymous.GetAsync(url)).Headers.CacheControl!.ToString().ShouldBe("public, max-age=31536000, immutable");
    }

    [Fact]
    public async Task a_refusal_is_never_cached()
    {
        var response = await app.Anonymous.GetAsync($"/api/parties/atlantis/stance?knownAt=2025-01-01");

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        response.Headers.CacheControl!.NoStore.ShouldBeTrue();
        response.Headers.ETag.ShouldBeNull();
    }

    private Task<HttpResponseMessage> Conditional(string url, EntityTagHeaderValue etag)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.IfNoneMatch.Add(etag);
        return app.Anonymous.SendAsync(request);
    }
}

public sealed class when_reads_need_a_key_they_are_cached_privately(ReadersOnlyApp app) : IClassFixture<ReadersOnlyApp>
{
    [Fact]
    public async Task every_cacheable_answer_is_private()
    {
        await app.ResetAsync();
        await app.GivenPartiesAndIssuesAsync(["russia"], ["ceasefire"]);

        var settled = await app.Reader.GetAsync("/api/stances?knownAt=2025-01-01");
        var live = await app.Reader.GetAsync("/api/stances");

        settled.Headers.CacheControl!.Private.ShouldBeTrue();
        settled.Headers.CacheControl.Public.ShouldBeFalse();
        live.Headers.CacheControl!.Private.ShouldBeTrue();
        live.Headers.Vary.ShouldContain("Authorization");
    }
}
