using System.Diagnostics;
using System.Net.Http.Json;
using JasperFx.Events.Daemon;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using PositionLedger.Activity;
using PositionLedger.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PositionLedger.Tests.ScaleOut;

/// <summary>Three app processes on one database, the way they are deployed; not run in parallel with others.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessCollection
{
    public const string Name = "processes";
}

[Collection(ProcessCollection.Name)]
public sealed class when_the_node_running_the_projections_dies(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _schema = $"nodes_{Guid.NewGuid():N}"[..20];
    private readonly List<AppProcess> _nodes = [];
    private string _connectionString = "";

    public async Task InitializeAsync()
    {
        _connectionString = await TestDatabase.ConnectionStringAsync();
        // One after another, so Wolverine's node numbers follow the order of this list.
        for (var i = 0; i < 3; i++)
        {
            var (node, _) = await AppProcess.StartAsync(AppProcess.BuiltDll(), _connectionString, _schema, AppProcess.FreePort(),
                new Dictionary<string, string> { ["PositionLedger__Nodes"] = "multi" });
            _nodes.Add(node);
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes) await node.DisposeAsync();
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await new NpgsqlCommand($"drop schema if exists {_schema} cascade", connection).ExecuteNonQueryAsync();
    }

    private async Task<T?> Scalar<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        var value = await new NpgsqlCommand(sql, connection).ExecuteScalarAsync();
        return value is null or DBNull ? default : (T)value;
    }

    /// <summary>Which node (1-based, in start order) runs the activity projection, if any.</summary>
    private Task<int> ProjectionNode() => Scalar<int>(
        $"select n.node_number from {_schema}.wolverine_node_assignments a join {_schema}.wolverine_nodes n on n.id = a.node_id " +
        $"where a.id ilike '%{LedgerActivityProjection.ProjectionName}%' limit 1");

    private async Task<string> Snapshot(string sql)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var reader = await new NpgsqlCommand(sql, connection).ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
            rows.Add(string.Join("|", Enumerable.Range(0, reader.FieldCount)
                .Select(i => reader.IsDBNull(i)
                    ? "null"
                    : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture))));
        return string.Join("\n", rows);
    }

    [Fact]
    public async Task another_node_takes_the_projections_over_and_every_read_model_equals_a_rebuild()
    {
        var editor = _nodes[0].Client();
        foreach (var party in new[] { "russia", "ukraine", "us" })
            (await editor.PostAsJsonAsync("/api/parties", new { id = party, name = party })).EnsureSuccessStatusCode();
        (await editor.PostAsJsonAsync("/api/issues", new { id = "ceasefire", title = "Ceasefire" })).EnsureSuccessStatusCode();

        var clock = Stopwatch.StartNew();
        int running;
        while ((running = await ProjectionNode()) == 0 && clock.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(250);
        running.ShouldBeGreaterThan(0, "no node was given the async projection within 60 s");
        output.WriteLine($"projection on node {running} after {clock.Elapsed.TotalSeconds:N1} s");

        // Writers spread over every node that is alive; the node running the projection dies mid-load.
        using var stop = new CancellationTokenSource();
        var acknowledged = 0;
        var victim = _nodes[running - 1];
        var writers = Enumerable.Range(0, 3).Select(w => Task.Run(async () =>
        {
            var clients = _nodes.Select(n => n.Client()).ToList();
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var node = (w + i) % _nodes.Count;
                if (_nodes[node].HasExited) continue;
                try
                {
                    var response = await clients[node].PostAsJsonAsync("/api/statements", new
                    {
                        party = new[] { "russia", "ukraine", "us" }[i % 3], issue = "ceasefire", stance = "supports",
                        speaker = $"Writer {w}", quote = $"Statement {w}-{i}", statedAt = "2025-03-13", source = new { outlet = "Wire" },
                    });
                    if (response.IsSuccessStatusCode) Interlocked.Increment(ref acknowledged);
                }
                catch (HttpRequestException) { } // the killed node
            }
        })).ToList();

        await Task.Delay(TimeSpan.FromSeconds(3));
        await victim.KillAsync();
        var killed = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(3));
        stop.Cancel();
        await Task.WhenAll(writers);
        acknowledged.ShouldBeGreaterThan(50);

        int takenOver;
        while (((takenOver = await ProjectionNode()) == running || takenOver == 0) && killed.Elapsed < TimeSpan.FromSeconds(60))
            await Task.Delay(250);
        var takeover = killed.Elapsed;
        output.WriteLine($"projection on node {takenOver} {takeover.TotalSeconds:N1} s after node {running} was killed");
        takenOver.ShouldNotBe(running);
        takeover.ShouldBeLessThan(TimeSpan.FromSeconds(30));

        // The new node catches up with everything that was appended.
        var last = await Scalar<long>($"select max(seq_id) from {_schema}.mt_events");
        while (await Scalar<long>($"select coalesce(max(last_seq_id), 0) from {_schema}.mt_event_progression " +
                   $"where name ilike '{LedgerActivityProjection.ProjectionName}%'") < last
               && killed.Elapsed < TimeSpan.FromSeconds(90))
            await Task.Delay(250);
        (await Scalar<long>($"select coalesce(max(last_seq_id), 0) from {_schema}.mt_event_progression " +
            $"where name ilike '{LedgerActivityProjection.ProjectionName}%'")).ShouldBeGreaterThanOrEqualTo(last);

        var activity = $"select day, stated, claims, corrected, retracted from {_schema}.{LedgerActivityProjection.TableName} order by day";
        var revisions = "select statement_id, version, party, stance, stated_at, statement_seq, recorded_from_seq, recorded_to_seq " +
            $"from {_schema}.pl_statement_revisions order by statement_id, version";
        var before = (await Snapshot(activity), await Snapshot(revisions));
        (await Scalar<long>($"select coalesce(sum(stated), 0)::bigint from {_schema}.{LedgerActivityProjection.TableName}")).ShouldBe(
            await Scalar<long>($"select count(*) from {_schema}.mt_events where type = 'position_stated'"));

        // Stop the survivors, rebuild everything from the events, and compare.
        foreach (var node in _nodes) await node.KillAsync();
        await using var app = PositionLedgerApp.Build([$"--ConnectionStrings:PositionLedger={_connectionString}",
            $"--PositionLedger:Schema={_schema}", "--Logging:LogLevel:Default=Warning"]);
        using (var daemon = await app.Services.GetRequiredService<IDocumentStore>().BuildProjectionDaemonAsync())
        {
            await daemon.RebuildProjectionAsync(LedgerActivityProjection.ProjectionName, TimeSpan.FromMinutes(2), CancellationToken.None);
            await daemon.RebuildProjectionAsync(PositionLedger.Revisions.Configuration.RevisionsProjection, TimeSpan.FromMinutes(2),
                CancellationToken.None);
        }
        (await Snapshot(activity), await Snapshot(revisions)).ShouldBe(before);
    }
}
