using System.Net;
using PositionLedger.Statements;
using PositionLedger.Tests.Infrastructure;
using static PositionLedger.Tests.Infrastructure.Scenario;

namespace PositionLedger.Tests.HostileInput;

/// <summary>Query values at and past the edges: a clear 400 naming the parameter, or an answer; never a 5xx.</summary>
public sealed class when_a_read_is_malformed(AppFixture app) : ApiTest(app)
{
    public static TheoryData<string, string> Refused() => new()
    {
        { "/api/search?q=truce%00", "q" },
        { "/api/timeline?party=rus%00sia", "party" },
        { "/api/timeline?issue=%00", "issue" },
        { "/api/stances?asOf=1799-12-31", "asOf" },
        { "/api/stances?knownAt=0001-01-01", "knownAt" },
        { "/api/parties/russia/stance?asOf=0001-01-01T00:00:00%2B01:00", "asOf" },
        { "/api/timeline?from=1066-10-14", "from" },
        { "/api/parties/russia/changes?from=2025-03-01&to=1799-01-01", "to" },
        { "/api/stances?asOf=2025-03-13&knownAt=%E2%80%AE2025", "knownAt" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task a_value_that_cannot_be_a_date_or_clean_text_is_refused_naming_the_parameter(string url, string field)
    {
        await GivenAStatementAsync();

        await (await App.Anonymous.GetAsync(url)).ShouldNameFieldAsync(field);
    }

    public static TheoryData<string> Answered() =>
    [
        "/api/stances?asOf=9999-12-31",
        "/api/stances?knownAt=9999-12-31",
        "/api/parties/russia/stance?asOf=9999-12-31&knownAt=9999-12-31",
        "/api/parties/russia/changes?from=2025-03-01&to=9999-12-31",
        "/api/timeline?to=9999-12-31&knownAt=9999-12-31",
        "/api/timeline?from=1800-01-01",
        "/api/search?q=" + new string('-', 40) + "agree",
        "/api/search?q=agree%20" + string.Concat(Enumerable.Repeat("-%20", 60)) + "truce",
    ];

    [Theory]
    [MemberData(nameof(Answered))]
    public async Task a_value_at_the_edge_of_the_calendar_or_the_search_syntax_is_answered(string url)
    {
        await GivenAStatementAsync();

        var response = await App.Anonymous.GetAsync(url);

        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task a_nul_in_the_path_is_refused_by_the_server_before_any_route_runs()
    {
        var response = await App.Anonymous.GetAsync("/api/parties/rus%00sia/stance");

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task the_end_of_the_calendar_still_finds_the_latest_stance()
    {
        await GivenAStatementAsync();

        var stance = await App.Anonymous.StanceAsync("russia", asOf: "9999-12-31", knownAt: "9999-12-31");

        stance.Issues.Single().Stance.ShouldBe("conditional");
    }

    private async Task GivenAStatementAsync()
    {
        await App.GivenPartiesAndIssuesAsync(["russia", "ukraine"], ["ceasefire"]);
        await App.GivenAsync(Stated(Guid.NewGuid(), "russia", "ceasefire", Stance.Conditional, "2025-03-13", quote: "We agree"));
    }
}
