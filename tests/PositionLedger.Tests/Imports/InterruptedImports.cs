using JasperFx.Events;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using PositionLedger.Statements;
using PositionLedger.Tests.Infrastructure;
using static PositionLedger.Tests.Infrastructure.Scenario;
using PositionLedger.Imports;

namespace PositionLedger.Tests.Imports;

/// <summary>
/// An import appends its events in bulk (one commit) and then writes their revisions (a second commit).
/// These specify what happens when the process dies between the two.
/// </summary>
public sealed class when_an_import_died_between_its_two_commits(AppFixture app) : ApiTest(app)
{
    private BulkAppend Append => App.Services.GetRequiredService<BulkAppend>();

    /// <summary>What such a crash leaves: the events appended, their batch still pending, its lock free.</summary>
    private async Task<int> GivenAnInterruptedImportAsync(PositionStated stated)
    {
        var stream = StreamAction.Start(stated.StatementId.ToString(),
            new Event<PositionStated>(stated) { Timestamp = DateTimeOffset.UtcNow });
        stream.AggregateType = typeof(Statement);
        await App.Store.BulkInsertEventsAsync([stream]);
        var lockId = Random.Shared.Next();
        await using var command = App.Services.GetRequiredService<NpgsqlDataSource>().CreateCommand(
            $"insert into {App.Services.GetRequiredService<BulkAppend.PendingTable>().QualifiedName} " +
            "(batch, lock_id, started, streams) values ($1, $2, now(), $3)");
        command.Parameters.Add(new NpgsqlParameter { Value = Guid.NewGuid() });
        command.Parameters.Add(new NpgsqlParameter { Value = lockId });
        command.Parameters.Add(new NpgsqlParameter { Value = new[] { stated.StatementId.ToString() } });
        await command.ExecuteNonQueryAsync();
        return lockId;
    }

    [Fact]
    public async Task recovery_writes_the_revisions_the_batch_lacks()
    {
        await App.GivenPartiesAndIssuesAsync(["russia"], ["ceasefire"]);
        await GivenAnInterruptedImportAsync(Stated("russia", "ceasefire", Stance.Rejects, "2025-03-12"));
        (await Client.StanceAsync("russia")).On("ceasefire").ShouldBeNull();

        (await Append.RecoverAsync(CancellationToken.None)).ShouldBe(1);

        (await Client.StanceAsync("russia")).On("ceasefire")!.Stance.ShouldBe("rejects");
        (await Append.RecoverAsync(CancellationToken.None)).ShouldBe(0);
    }

    [Fact]
    public async Task the_next_import_recovers_it_first()
    {
        await App.GivenPartiesAndIssuesAsync(["russia"], ["ceasefire"]);
        await GivenAnInterruptedImportAsync(Stated("russia", "ceasefire", Stance.Rejects, "2025-03-12"));

        var line = """{"party":"russia","issue":"kursk","stance":"opposes","speaker":"S","quote":"Q","statedAt":"2025-03-13","source":{"outlet":"A"}}""";
        await App.GivenPartiesAndIssuesAsync([], ["kursk"]);
        (await Client.PostAsync("/api/imports", new StringContent(line, System.Text.Encoding.UTF8, "application/x-ndjson")))
            .EnsureSuccessStatusCode();

        var stance = await Client.StanceAsync("russia");
        stance.On("ceasefire")!.Stance.ShouldBe("rejects");
        stance.On("kursk")!.Stance.ShouldBe("opposes");
    }

    [Fact]
    public async Task a_rebuild_that_wrote_the_revisions_first_does_not_stop_the_recovery()
    {
        await App.GivenPartiesAndIssuesAsync(["russia"], ["ceasefire"]);
        await GivenAnInterruptedImportAsync(Stated("russia", "ceasefire", Stance.Rejects, "2025-03-12"));
        await App.Services.GetRequiredService<PositionLedger.Revisions.RevisionsRebuild>().RunAsync(null, CancellationToken.None);

        (await Append.RecoverAsync(CancellationToken.None)).ShouldBe(1);

        (await Client.StanceAsync("russia")).On("ceasefire")!.Stance.ShouldBe("rejects");
        (await Append.RecoverAsync(CancellationToken.None)).ShouldBe(0);
    }

    [Fact]
    public async Task a_batch_whose_import_still_holds_it_is_left_alone()
    {
        await App.GivenPartiesAndIssuesAsync(["russia"], ["ceasefire"]);
        var lockId = await GivenAnInterruptedImportAsync(Stated("russia", "ceasefire", Stance.Rejects, "2025-03-12"));
        // Unpooled, so that closing it ends the session and its lock, as the death of the importer would.
        await using var importer = new NpgsqlConnection(
            App.Services.GetRequiredService<NpgsqlDataSource>().ConnectionString + ";Pooling=false");
        await importer.OpenAsync();
        await using (var hold = new NpgsqlCommand($"select pg_advisory_lock({BulkAppend.LockClass}, {lockId})", importer))
            await hold.ExecuteNonQueryAsync();

        (await Append.RecoverAsync(CancellationToken.None)).ShouldBe(0);
        (await Client.StanceAsync("russia")).On("ceasefire").ShouldBeNull();

        await importer.CloseAsync();
        // The server ends the importer's session, and frees its lock, a moment after the client lets go.
        var recovered = 0;
        for (var tries = 0; tries < 50 && recovered == 0; tries++)
        {
            recovered = await Append.RecoverAsync(CancellationToken.None);
            if (recovered == 0) await Task.Delay(100);
        }
        recovered.ShouldBe(1);
        (await Client.StanceAsync("russia")).On("ceasefire")!.Stance.ShouldBe("rejects");
    }
}
