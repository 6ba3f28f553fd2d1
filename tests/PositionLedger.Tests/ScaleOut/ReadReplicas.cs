using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Npgsql;
using PositionLedger.Infrastructure;
using PositionLedger.Stances;
using PositionLedger.Tests.Infrastructure;
using PositionLedger.Tests.Stances;

namespace PositionLedger.Tests.ScaleOut;

/// <summary>
/// A PostgreSQL streaming replica of the test cluster (pg_basebackup -R, on a port of its own), an app that reads
/// from it, and an app on the same schema that reads the primary only.
/// </summary>
public sealed class ReplicaFixture : IAsyncLifetime
{
    /// <summary>One name (deploy/test.sh removes it when the run ends, however it ends); a leftover is replaced.</summary>
    private readonly string _directory = Path.Combine(Repository.Root, ".data", "test-replica");
    private int _port;

    public AppFixture WithReplica { get; private set; } = null!;

    public AppFixture PrimaryOnly { get; private set; } = null!;

    public string ReplicaConnection { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var primary = new NpgsqlConnectionStringBuilder(await TestDatabase.ConnectionStringAsync());
        await Script("remove", _directory);
        _port = int.Parse(await Script("free-port", "56100"), System.Globalization.CultureInfo.InvariantCulture);
        ReplicaConnection = await Script("replica", _directory, $"{_port}", $"{primary.Port}", "--throwaway");
        WithReplica = new ReplicaApp(ReplicaConnection);
        await WithReplica.InitializeAsync();
        PrimaryOnly = AppFixture.OnSchemaOf(WithReplica);
        await PrimaryOnly.InitializeAsync();
    }

    public Task StopReplicaAsync() => Script("stop", _directory);

    public Task StartReplicaAsync() => Script("start", _directory, $"{_port}", "--throwaway");

    /// <summary>The settled point the replica has replayed (null before the primary has recorded one).</summary>
    public async Task<DateTimeOffset?> ReplicatedSettledPointAsync()
    {
        await using var db = NpgsqlDataSource.Create(ReplicaConnection);
        await using var command = db.CreateCommand($"select settled from {WithReplica.Schema}.{ReadReplica.TableName} where id = 1");
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? reader.GetFieldValue<DateTimeOffset>(0) : null;
    }

    /// <summary>Waits until the replica has replayed a settled point at or after <paramref name="moment"/>.</summary>
    public async Task<DateTimeOffset> ReplicaSettledAfterAsync(DateTimeOffset moment)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (await ReplicatedSettledPointAsync() is { } settled && settled >= moment) return settled;
            await Task.Delay(100);
        }
        throw new TimeoutException($"The replica did not replay a settled point after {moment:O} within 30 s.");
    }

    public async Task DisposeAsync()
    {
        await PrimaryOnly.DisposeAsync();
        await WithReplica.DisposeAsync();
        await Script("remove", _directory);
    }

    private static async Task<string> Script(params string[] arguments)
    {
        var start = new ProcessStartInfo(Path.Combine(Repository.Root, "deploy", "local-postgres.sh"), arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        process.ExitCode.ShouldBe(0, $"local-postgres.sh {string.Join(' ', arguments)}: {await errors}");
        return (await output).Trim();
    }

    /// <summary>An app whose reads go to the replica; a small clock-skew bound keeps the tests short.</summary>
    private sealed class ReplicaApp(string replica)
        : AppFixture([$"--ConnectionStrings:{ReadReplica.ConnectionName}={replica}", $"--{SettledReads.ClockSkewSetting}=0.2"]);
}

// With the other tests that start apps of their own: fewer schemas are created at once.
[Collection(ProcessCollection.Name)]
public sealed class when_reads_are_answered_by_a_streaming_replica(ReplicaFixture replica)
    : IClassFixture<ReplicaFixture>, IAsyncLifetime
{
    private AppFixture App => replica.WithReplica;

    public Task InitializeAsync() => App.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData(11, 200)]
    [InlineData(12, 150)]
    public async Task answers_from_the_replica_equal_the_primarys_at_the_same_knownAt_on_random_histories(int seed, int events)
    {
        await App.GivenPartiesAndIssuesAsync(when_random_histories_are_checked_against_the_reference_fold.Parties,
            when_random_histories_are_checked_against_the_reference_fold.Issues);
        var random = new Random(seed);
        await when_random_histories_are_checked_against_the_reference_fold.GenerateHistoryAsync(App, random, events);
        var log = await when_random_histories_are_checked_against_the_reference_fold.RawLogAsync(App);
        await replica.ReplicaSettledAfterAsync(log.Max(e => e.Timestamp));

        var fromReplica = 0;
        foreach (var (asOf, knownAt, kinds) in when_random_histories_are_checked_against_the_reference_fold.Questions(random, log))
        {
            var query = $"asOf={asOf}&knownAt={Uri.EscapeDataString(knownAt)}"
                + (kinds is null ? "" : $"&evidence={string.Join(',', kinds)}");
            foreach (var path in new[] { "/api/stances", "/api/parties/russia/stance", "/api/timeline" })
            {
                using var answered = await App.Client.GetAsync($"{path}?{query}");
                using var primary = await replica.PrimaryOnly.Client.GetAsync($"{path}?{query}");
                var body = await answered.Content.ReadAsStringAsync();
                answered.StatusCode.ShouldBe(HttpStatusCode.OK, body);
                body.ShouldBe(await primary.Content.ReadAsStringAsync(), $"{path}?{query}");
                primary.Headers.GetValues(ReadReplica.AnsweredByHeader).ShouldBe(["primary"]);
                if (answered.Headers.GetValues(ReadReplica.AnsweredByHeader).Single() == "replica") fromReplica++;
            }
        }
        fromReplica.ShouldBeGreaterThan(60);
    }

    [Fact]
    public async Task a_read_without_knownAt_is_answered_for_the_replicas_settled_point_and_never_later()
    {
        await App.GivenPartiesAndIssuesAsync(["russia"], ["ceasefire"]);
        await App.GivenAsync(Scenario.Stated("russia", "ceasefire", PositionLedger.Statements.Stance.Conditional, "2025-03-13"));
        await replica.ReplicaSettledAfterAsync(DateTimeOffset.UtcNow);

        using var response = await App.Client.GetAsync("/api/parties/russia/stance?asOf=2025-03-14");
        var body = await response.Content.ReadAsStringAsync();
        var answer = System.Text.Json.JsonSerializer.Deserialize<PartyStance>(body, System.Text.Json.JsonSerializerOptions.Web);
        var settledAfter = await replica.ReplicatedSettledPointAsync();

        response.Headers.GetValues(ReadReplica.AnsweredByHeader).ShouldBe(["replica"]);
        answer!.KnownAt.ShouldBeLessThanOrEqualTo(settledAfter!.Value);
        answer.Issues.Single().Stance.ShouldBe("conditional");
        // The answer names the URL that gives it for good, and that URL's answer is final.
        var pinned = response.Content.Headers.ContentLocation!.ToString();
        pinned.ShouldContain("knownAt=");
        using var final = await App.Client.GetAsync(pinned);
        final.Headers.CacheControl!.ToString().ShouldContain("immutable");
        final.Headers.ETag.ShouldBe(response.Headers.ETag);
        (await final.Content.ReadAsStringAsync()).ShouldBe(body);
    }

    [Fact]
    public async Task a_knownAt_beyond_the_replicas_settled_point_reads_the_primary_and_sees_the_write()
    {
        await App.GivenPartiesAndIssuesAsync(["russia"], ["ceasefire"]);
        await replica.ReplicaSettledAfterAsync(DateTimeOffset.UtcNow);

        await App.GivenAsync(Scenario.Stated("russia", "ceasefire", PositionLedger.Statements.Stance.Rejects, "2025-03-13"));
        var justNow = DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        using var response = await App.Client.GetAsync(
            $"/api/parties/russia/stance?asOf=2025-03-14&knownAt={Uri.EscapeDataString(justNow)}");

        response.Headers.GetValues(ReadReplica.AnsweredByHeader).ShouldBe(["primary"]);
        (await response.Content.ReadFromJsonAsync<PartyStance>())!.Issues.Single().Stance.ShouldBe("rejects");
    }

    [Fact]
    public async Task with_the_replica_down_the_primary_answers_and_readiness_says_so()
    {
        await App.GivenPartiesAndIssuesAsync(["russia"], ["ceasefire"]);
        await App.GivenAsync(Scenario.Stated("russia", "ceasefire", PositionLedger.Statements.Stance.Accepts, "2025-03-13"));
        await replica.ReplicaSettledAfterAsync(DateTimeOffset.UtcNow);

        await replica.StopReplicaAsync();
        try
        {
            await Task.Delay(500); // past the replica's cached settled point
            using var response = await App.Client.GetAsync("/api/parties/russia/stance?asOf=2025-03-14");
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            response.Headers.GetValues(ReadReplica.AnsweredByHeader).ShouldBe(["primary"]);
            (await response.Content.ReadFromJsonAsync<PartyStance>())!.Issues.Single().Stance.ShouldBe("accepts");
            var ready = await App.Client.GetAsync("/health/ready");
            (await ready.Content.ReadAsStringAsync()).ShouldBe("Degraded");
        }
        finally
        {
            await replica.StartReplicaAsync();
        }
        var clock = Stopwatch.StartNew();
        string health;
        do
        {
            await Task.Delay(200);
            health = await App.Client.GetStringAsync("/health/ready");
        }
        while (health != "Healthy" && clock.Elapsed < TimeSpan.FromSeconds(20));
        health.ShouldBe("Healthy");
    }
}
