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
    private async Task<List<string>> RevisionRowsAsync()
    {
        var rows = new List<string>();
        await using var command = App.Services.GetRequiredService<NpgsqlDataSource>().CreateCommand(
            $"select r::text from {App.Services.GetRequiredService<RevisionTable>().QualifiedName} r order by statement_id, version");
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

        var report = await Rebuild.RunAsync(null, CancellationToken.None);

        report.Revisions.ShouldBe(4);
        (await RevisionRowsAsync()).ShouldBe(inline);
        await App.Store.Storage.Database.AssertDatabaseMatchesConfigurationAsync();
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
        await Rebuild.RunAsync(null, CancellationToken.None);
        (await RevisionRowsAsync()).ShouldBe(inline);
        inline.Count.ShouldBe(340);
    }
}
