using System.Net.Http.Json;
using Marten;
using Marten.Events;
using PositionLedger.Activity;
using PositionLedger.Statements;
using PositionLedger.Tests.Infrastructure;
using static PositionLedger.Tests.Infrastructure.Scenario;

namespace PositionLedger.Tests.Activity;

public sealed class when_the_ledger_records_statements : OwnAppTest
{
    [Fact]
    public async Task the_asynchronous_activity_projection_counts_each_kind_per_day()
    {
        await App.GivenPartiesAndIssuesAsync(["russia", "ukraine"], ["ceasefire"]);
        var stated = Stated("russia", "ceasefire", Stance.Conditional, "2025-03-13");
        await App.GivenAsync(
            stated,
            Stated("ukraine", "ceasefire", Stance.Accepts, "2025-03-11"),
            Claimed("ukraine", "russia", "ceasefire", Stance.Rejects, "2025-03-13"),
            new StatementCorrected(stated.StatementId, stated.Content with { Stance = Stance.Rejects }, ["stance"], "typo"),
            new StatementRetracted(stated.StatementId, "duplicate"));

        await App.Store.WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(30));

        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var days = await Client.GetFromJsonAsync<DayActivity[]>($"/api/activity?from={today}");
        days.ShouldHaveSingleItem().ShouldBe(new DayActivity(today, 2, 1, 1, 1));
        await (await Client.GetAsync("/api/activity?from=last-week")).ShouldNameFieldAsync("from");
    }
}
