using System.Net.Http.Json;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using PositionLedger.Stances;
using PositionLedger.Statements;
using PositionLedger.Tests.Infrastructure;
using static PositionLedger.Tests.Infrastructure.Scenario;
using PositionLedger.Revisions;

namespace PositionLedger.Tests.Revisions;

/// <summary>The revision table rebuilt from the event log into a new table and swapped in.</summary>
public sealed class when_the_revision_table_is_rebuilt(AppFixture app) : ApiTest(app)
{
    private RevisionsRebuild Rebuild => App.Services.GetRequiredService<RevisionsRebuild>();

    /// <summary>Every column of every row, as PostgreSQL prints the row.</summary>
    private Task<List<string>> RevisionRowsAsync() =>
        RowsAsync($"select r::text from {App.Services.GetRequiredService<RevisionTable>().QualifiedName} r order by statement_id, version");

    /// <summary>Every column of every claim's resolution row, as PostgreSQL prints the row.</summary>
    private Task<List<string>> ResolvedClaimRowsAsync() =>
        RowsAsync($"select r::text from {App.Services.GetRequiredService<RevisionTable>().ResolvedClaims} r order by claim_id, recorded_from");

    private async Task<List<string>> RowsAsync(string sql)
    {
        var rows = new List<string>();
        await using var command = App.Services.GetRequiredService<NpgsqlDataSource>().CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) rows.Add(reader.GetString(0));
        return rows;
    }

    [Fact]
    public async Task it_holds_exactly_the_rows_the_inline_projection_wrote_and_the_schema_is_unchanged()
    {
        await App.GivenPartiesAndIssuesAsync(["russia", "ukraine"], ["ceasefire", "kursk"]);
        var stated = Stated("russia", "ceasefire", Stance.Conditional, "2025-03-13", speaker: "Vladimir Putin",
            conditions: ["Kyiv stops mobilisation", "no \"weapons\" — ✓"]);
        stated = stated with
        {
            Content = stated.Content with
            {
                Source = new Source("Wire", "https://example.org/a?b=c",
                    DateTimeOffset.Parse("2025-03-13T10:15:30.1234567+02:00", System.Globalization.CultureInfo.InvariantCulture)),
            },
        };
        var claim = Stated("russia", "ceasefire", Stance.Rejects, "2025-03-14", claimedBy: new ClaimedBy("ukraine", "Zelenskiy"));
        var moved = Stated("ukraine", "kursk", Stance.Supports, "2025-03-11");
        await App.GivenAsync(stated, claim, moved);
        await App.GivenAsync(
            new StatementCorrected(moved.StatementId,
                moved.Content with { Issue = "ceasefire", StatedAt = moved.Content.StatedAt.AddDays(1) },
                ["issue", "statedAt"], "Wrong issue"),
            new StatementRetracted(claim.StatementId, "Unsourced"));
        var inline = await RevisionRowsAsync();
        var resolved = await ResolvedClaimRowsAsync();

        var report = await Rebuild.RunAsync(null, CancellationToken.None);

        report.Revisions.ShouldBe(4);
        (await RevisionRowsAsync()).ShouldBe(inline);
        // The claim, open (Russia said nothing after it) until it was retracted.
        resolved.ShouldHaveSingleItem().ShouldNotEndWith(",)"); // recorded_to, the last column, is set
        (await ResolvedClaimRowsAsync()).ShouldBe(resolved);
        await App.Store.Storage.Database.AssertDatabaseMatchesConfigurationAsync();
    }

    [Theory]
    [InlineData(11, 400)]
    [InlineData(12, 400)]
    public async Task on_a_random_history_the_claims_resolutions_are_the_ones_the_projection_kept(int seed, int events)
    {
        var random = new Random(seed);
        await App.GivenPartiesAndIssuesAsync(
            Stances.when_random_histories_are_checked_against_the_reference_fold.Parties,
            Stances.when_random_histories_are_checked_against_the_reference_fold.Issues);
        await Stances.when_random_histories_are_checked_against_the_reference_fold.GenerateHistoryAsync(App, random, events);
        var resolved = await ResolvedClaimRowsAsync();

        await Rebuild.RunAsync(null, CancellationToken.None);

        resolved.Count.ShouldBeGreaterThan(20);
        (await ResolvedClaimRowsAsync()).ShouldBe(resolved);
    }

    [Fact]
    public async Task a_ledger_kept_before_claims_were_resolved_gets_its_resolutions_when_the_app_starts()
    {
        await App.GivenPartiesAndIssuesAsync(["russia", "ukraine"], ["ceasefire"]);
        var claim = Stated("russia", "ceasefire", Stance.Rejects, "2025-03-12", claimedBy: new ClaimedBy("ukraine", "Zelenskiy"));
        var rejection = Stated("russia", "ceasefire", Stance.Rejects, "2025-03-14");
        await App.GivenAsync(claim, rejection);
        var resolved = await ResolvedClaimRowsAsync();
        // As an app of the previous version left it: the revisions, and no resolutions.
        await using (var emptied = App.Services.GetRequiredService<NpgsqlDataSource>()
            .CreateCommand($"delete from {App.Services.GetRequiredService<RevisionTable>().ResolvedClaims}"))
        {
            await emptied.ExecuteNonQueryAsync();
        }

        await using var restarted = AppFixture.OnSchemaOf(App);
        await ((IAsyncLifetime)restarted).InitializeAsync();

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await ResolvedClaimRowsAsync()).Count == 0 && DateTime.UtcNow < deadline) await Task.Delay(100);
        (await ResolvedClaimRowsAsync()).ShouldBe(resolved);
        var claims = await restarted.Client.GetFromJsonAsync<System.Text.Json.Nodes.JsonObject>("/api/parties/ukraine/claims-made");
        claims!["claims"]![0]!["resolution"]!.GetValue<string>().ShouldBe("borne-out");
    }

    [Fact]
    public async Task appends_during_the_rebuild_are_in_the_new_table()
    {
        await App.GivenPartiesAndIssuesAsync(["russia"], ["ceasefire"]);
        await App.GivenAsync([.. Enumerable.Range(0, 300)
            .Select(i => (object)Stated("russia", "ceasefire", Stance.Supports, $"2024-{1 + i % 12:00}-{1 + i % 28:00}"))]);
        var writing = Task.Run(async () =>
        {
            for (var i = 0; i < 40; i++)
            {
                var s = Stated("russia", "ceasefire", Stance.Rejects, $"2025-03-{1 + i % 28:00}");
                await App.GivenAsync(s);
                if (i % 3 == 0) await App.GivenAsync(new StatementRetracted(s.StatementId, "Retracted while rebuilding"));
            }
        });

        await Rebuild.RunAsync(null, CancellationToken.None);
        await writing;

        var inline = await RevisionRowsAsync();
        var resolved = await ResolvedClaimRowsAsync();
        await Rebuild.RunAsync(null, CancellationToken.None);
        (await RevisionRowsAsync()).ShouldBe(inline);
        (await ResolvedClaimRowsAsync()).ShouldBe(resolved);
        inline.Count.ShouldBe(340);
    }
}
