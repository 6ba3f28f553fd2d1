using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using PositionLedger.Statements;
using PositionLedger.Tests.Infrastructure;
using static PositionLedger.Tests.Infrastructure.Scenario;

namespace PositionLedger.Tests.Timeline;

/// <summary>The issue chart's series: change points only, rule 2's ties, a bounded size, every point when zoomed in.</summary>
public sealed class when_an_issue_is_charted(AppFixture app) : ApiTest(app)
{
    // Russia's 40 statements on consecutive days cycle supports, supports, rejects, opposes: 30 change points.
    private static readonly Stance[] Cycle = [Stance.Supports, Stance.Supports, Stance.Rejects, Stance.Opposes];

    private static string Day(int i) => new DateTime(2025, 1, 1).AddDays(i).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private async Task GivenAHistoryAsync()
    {
        await App.GivenPartiesAndIssuesAsync(["russia", "us"], ["ceasefire"]);
        await App.GivenAsync([.. Enumerable.Range(0, 40).Select(i => (object)Stated("russia", "ceasefire", Cycle[i % 4], Day(i)))]);
        // Two statements of one moment: the one recorded later holds (rule 2), so only it is a change point.
        await App.GivenAsync(
            Stated("us", "ceasefire", Stance.Supports, Day(5), speaker: "First recorded"),
            Stated("us", "ceasefire", Stance.Rejects, Day(5), speaker: "Recorded later"));
    }

    private async Task<JsonObject> SeriesAsync(string query) =>
        (await Client.GetFromJsonAsync<JsonObject>($"/api/issues/ceasefire/series?{query}"))!;

    private static JsonObject Of(JsonObject series, string party) =>
        series["parties"]!.AsArray().Single(p => (string)p!["party"]! == party)!.AsObject();

    [Fact]
    public async Task every_change_point_is_served_and_a_repeated_stance_or_an_outranked_tie_is_none()
    {
        await GivenAHistoryAsync();

        var series = await SeriesAsync("");

        var russia = Of(series, "russia");
        ((int)russia["changePoints"]!).ShouldBe(30);
        ((bool)russia["downsampled"]!).ShouldBeFalse();
        var stances = russia["points"]!.AsArray().Select(p => (string)p!["stance"]!).ToList();
        stances.Count.ShouldBe(30);
        stances.Zip(stances.Skip(1)).ShouldAllBe(pair => pair.First != pair.Second);
        ((string)russia["points"]![0]!["statedAt"]!).ShouldBe(Day(0));
        ((string)russia["points"]![29]!["statedAt"]!).ShouldBe(Day(39));
        var us = Of(series, "us")["points"]!.AsArray().Single()!;
        ((string)us["stance"]!).ShouldBe("rejects");
        ((string)us["speaker"]!).ShouldBe("Recorded later");
        // Russia opposes on day 39 (-1) and the US rejects (-2): the gap line ends at 1.
        ((int?)series["gap"]!.AsArray()[^1]!["gap"]).ShouldBe(1);
    }

    [Fact]
    public async Task a_party_with_more_change_points_than_the_budget_keeps_each_buckets_first_last_lowest_and_highest()
    {
        await GivenAHistoryAsync();

        var russia = Of(await SeriesAsync("points=8"), "russia");

        ((bool)russia["downsampled"]!).ShouldBeTrue();
        ((int)russia["changePoints"]!).ShouldBe(30);
        var points = russia["points"]!.AsArray();
        points.Count.ShouldBeLessThanOrEqualTo(8);
        ((string)points[0]!["statedAt"]!).ShouldBe(Day(0));
        ((string)points[^1]!["statedAt"]!).ShouldBe(Day(39));
        points.Select(p => (int?)p!["score"]).ShouldContain(2);
        points.Select(p => (int?)p!["score"]).ShouldContain(-2);
        points.Select(p => (string)p!["statedAt"]!).ShouldBeInOrder();
    }

    [Fact]
    public async Task a_range_narrow_enough_gets_every_change_point_and_the_one_holding_at_its_start()
    {
        await GivenAHistoryAsync();

        var russia = Of(await SeriesAsync($"points=8&from={Day(10)}&to={Day(15)}"), "russia");

        ((bool)russia["downsampled"]!).ShouldBeFalse();
        // Day 10 (rejects) holds at from; days 11 (opposes), 12 (supports), 14 (rejects), 15 (opposes) change it.
        russia["points"]!.AsArray().Select(p => $"{p!["statedAt"]}:{p["stance"]}").ShouldBe([
            $"{Day(10)}:rejects", $"{Day(11)}:opposes", $"{Day(12)}:supports", $"{Day(14)}:rejects", $"{Day(15)}:opposes"]);
    }

    [Fact]
    public async Task a_budget_outside_its_bounds_is_refused_naming_points()
    {
        await GivenAHistoryAsync();

        await (await Client.GetAsync("/api/issues/ceasefire/series?points=7")).ShouldNameFieldAsync("points");
        await (await Client.GetAsync("/api/issues/ceasefire/series?points=4001")).ShouldNameFieldAsync("points");
        (await Client.GetAsync("/api/issues/nowhere/series")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }
}
