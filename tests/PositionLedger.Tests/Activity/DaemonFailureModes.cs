using System.Net;
using System.Net.Http.Json;
using Npgsql;
using PositionLedger.Activity;
using PositionLedger.Statements;
using PositionLedger.Tests.Infrastructure;
using static PositionLedger.Tests.Infrastructure.Scenario;

namespace PositionLedger.Tests.Activity;

/// <summary>
/// The async daemon reads the log up to its high-water mark. The ways the sequence can have holes must
/// not stop it: each test makes one, appends after it, and waits for the projection to count everything.
/// </summary>
public sealed class when_the_event_sequence_has_holes : OwnAppTest
{
    private string Sequence => $"{App.Schema}.mt_events_sequence";

    private async Task<long> StatedCounted()
    {
        var days = await Client.GetFromJsonAsync<DayActivity[]>("/api/activity");
        return days!.Sum(d => d.Stated + d.Claims);
    }

    private async Task ProjectionCatchesUpTo(long stated)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (await StatedCounted() < stated && DateTime.UtcNow < deadline) await Task.Delay(200);
        (await StatedCounted()).ShouldBe(stated);
    }

    private Task GivenStatements(int count) =>
        App.GivenAsync([.. Enumerable.Range(0, count).Select(i => (object)Stated("russia", "ceasefire", Stance.Supports, "2025-03-13"))]);

    [Fact]
    public async Task a_rolled_back_append_leaves_a_gap_the_daemon_passes()
    {
        await App.GivenPartiesAndIssuesAsync(["russia", "ukraine"], ["ceasefire"]);
        await GivenStatements(3);
        await using (var connection = new NpgsqlConnection(await TestDatabase.ConnectionStringAsync()))
        {
            await connection.OpenAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await new NpgsqlCommand($"select nextval('{Sequence}') from generate_series(1, 5)", connection, transaction)
                .ExecuteNonQueryAsync();
            await transaction.RollbackAsync();
        }

        await GivenStatements(3);

        await ProjectionCatchesUpTo(6);
    }

    [Fact]
    public async Task an_idle_transaction_holding_a_sequence_number_does_not_stop_the_daemon_for_good()
    {
        await App.GivenPartiesAndIssuesAsync(["russia", "ukraine"], ["ceasefire"]);
        await GivenStatements(2);
        // Not pooled: PostgreSQL ends this session, and a pool would trip over the dead connection.
        await using var idle = new NpgsqlConnection(
            new NpgsqlConnectionStringBuilder(await TestDatabase.ConnectionStringAsync()) { Pooling = false }.ConnectionString);
        await idle.OpenAsync();
        // The server-wide setting the deploy scripts give PostgreSQL, here for this session alone.
        await new NpgsqlCommand("set idle_in_transaction_session_timeout = '5s'", idle).ExecuteNonQueryAsync();
        var transaction = await idle.BeginTransactionAsync();
        await new NpgsqlCommand($"select nextval('{Sequence}')", idle, transaction).ExecuteNonQueryAsync();

        await GivenStatements(2);

        // The daemon holds before the gap while the session might still commit, then goes on once
        // PostgreSQL has ended the idle session.
        await ProjectionCatchesUpTo(4);
    }

    [Fact]
    public async Task the_sequence_burned_by_a_concurrency_loser_does_not_stop_the_daemon()
    {
        await App.GivenPartiesAndIssuesAsync(["russia", "ukraine"], ["ceasefire"]);
        var stated = Stated("russia", "ceasefire", Stance.Supports, "2025-03-13");
        await App.GivenAsync(stated);

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            Client.PostAsJsonAsync($"/api/statements/{stated.StatementId}/corrections",
                new { expectedVersion = 1, reason = $"Editor {i}", quote = $"Take {i}" })));
        responses.Count(r => r.StatusCode == HttpStatusCode.OK).ShouldBe(1);
        await GivenStatements(2);

        await ProjectionCatchesUpTo(3);
        var corrected = (await Client.GetFromJsonAsync<DayActivity[]>("/api/activity"))!.Sum(d => d.Corrected);
        corrected.ShouldBe(1);
    }
}
