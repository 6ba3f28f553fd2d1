using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using PositionLedger.Statements;
using PositionLedger.Tests.Infrastructure;
using static PositionLedger.Tests.Infrastructure.Scenario;

namespace PositionLedger.Tests.Guarantees;

public sealed class when_editors_write_concurrently_or_retry(AppFixture app) : ApiTest(app)
{
    private const string Statement = """
        {"party":"russia","issue":"ceasefire","stance":"conditional","speaker":"Vladimir Putin",
         "quote":"We agree","statedAt":"2025-03-13","source":{"outlet":"Wire"}}
        """;

    private Task GivenParties() => App.GivenPartiesAndIssuesAsync(["russia", "ukraine"], ["ceasefire"]);

    private HttpRequestMessage Post(string url, string body, string? idempotencyKey = null, string? correlationId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
        };
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        if (correlationId is not null) request.Headers.Add("X-Correlation-Id", correlationId);
        return request;
    }

    [Fact]
    public async Task of_32_concurrent_corrections_at_one_version_exactly_one_wins_and_the_rest_get_409()
    {
        await GivenParties();
        var stated = Stated("russia", "ceasefire", Stance.Conditional, "2025-03-13");
        await App.GivenAsync(stated);
        var events = await App.EventCountAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 32).Select(i =>
            Client.PostAsJsonAsync($"/api/statements/{stated.StatementId}/corrections",
                new { expectedVersion = 1, reason = $"Editor {i}", quote = $"Take {i}" })));

        responses.Count(r => r.StatusCode == HttpStatusCode.OK).ShouldBe(1);
        responses.Count(r => r.StatusCode == HttpStatusCode.Conflict).ShouldBe(31);
        foreach (var conflict in responses.Where(r => r.StatusCode == HttpStatusCode.Conflict))
            await conflict.ShouldBeProblemAsync(HttpStatusCode.Conflict);
        (await App.EventCountAsync()).ShouldBe(events + 1);
    }

    [Fact]
    public async Task the_same_idempotency_key_sent_20_times_at_once_appends_one_statement()
    {
        await GivenParties();

        var responses = await Task.WhenAll(Enumerable.Range(0, 20)
            .Select(_ => Client.SendAsync(Post("/api/statements", Statement, "key-20"))));

        responses.ShouldAllBe(r => r.StatusCode == HttpStatusCode.Created);
        var ids = await Task.WhenAll(responses.Select(async r => (await r.Content.ReadFromJsonAsync<StatementAppended>())!.Id));
        ids.Distinct().ShouldHaveSingleItem();
        responses.Select(r => r.Headers.Location!.ToString()).Distinct().ShouldHaveSingleItem();
        (await App.EventCountAsync()).ShouldBe(4, "three registrations and one statement");
    }

    [Fact]
    public async Task a_repeat_gets_the_first_response_and_another_body_with_the_key_is_a_422()
    {
        await GivenParties();
        var first = await Client.SendAsync(Post("/api/statements", Statement, "key-1"));
        var firstBody = await first.Content.ReadAsStringAsync();

        var repeat = await Client.SendAsync(Post("/api/statements", Statement, "key-1"));
        (await repeat.Content.ReadAsStringAsync()).ShouldBe(firstBody);
        repeat.StatusCode.ShouldBe(HttpStatusCode.Created);

        var other = await Client.SendAsync(
            Post("/api/statements", Statement.Replace("We agree", "We disagree", StringComparison.Ordinal), "key-1"));
        var problem = await other.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity);
        problem["errors"]!.AsObject().ShouldContainKey("Idempotency-Key");
        (await App.EventCountAsync()).ShouldBe(4, "three registrations and one statement");
    }

    [Fact]
    public async Task idempotency_keys_survive_a_restart_of_the_app()
    {
        await GivenParties();
        var first = await (await Client.SendAsync(Post("/api/statements", Statement, "key-restart")))
            .Content.ReadFromJsonAsync<StatementAppended>();

        // A second app process on the same database stands in for the restarted one.
        await using var restarted = AppFixture.OnSchemaOf(App);
        await ((IAsyncLifetime)restarted).InitializeAsync();
        var again = await restarted.Client.SendAsync(Post("/api/statements", Statement, "key-restart"));

        (await again.Content.ReadFromJsonAsync<StatementAppended>()).ShouldBe(first);
        (await App.EventCountAsync()).ShouldBe(4, "three registrations and one statement");
    }

    [Fact]
    public async Task a_write_and_its_key_commit_together_so_a_failure_at_the_last_step_keeps_neither()
    {
        await GivenParties();
        var events = await App.EventCountAsync();
        var table = App.Services.GetRequiredService<PositionLedger.Infrastructure.IdempotencyTable>().QualifiedName;
        var db = App.Services.GetRequiredService<Npgsql.NpgsqlDataSource>();
        var schema = table[..table.IndexOf('.', StringComparison.Ordinal)];
        // The database refuses to store this key's response: the last statement before the commit fails.
        await using (var failing = db.CreateCommand($"""
            create function {schema}.refuse_key() returns trigger language plpgsql as $$ begin raise exception 'refused'; end $$;
            create trigger refuse_key before insert on {table} for each row when (new.key = 'key-refused') execute function {schema}.refuse_key();
            """))
        {
            await failing.ExecuteNonQueryAsync();
        }
        try
        {
            var refused = await Client.SendAsync(Post("/api/statements", Statement, "key-refused"));

            refused.StatusCode.ShouldBe(HttpStatusCode.InternalServerError);
            (await App.EventCountAsync()).ShouldBe(events, "the statement was appended in the key's transaction, which rolled back");
        }
        finally
        {
            await using var cleanUp = db.CreateCommand($"drop trigger refuse_key on {table}; drop function {schema}.refuse_key()");
            await cleanUp.ExecuteNonQueryAsync();
        }

        var retried = await Client.SendAsync(Post("/api/statements", Statement, "key-refused"));
        retried.StatusCode.ShouldBe(HttpStatusCode.Created);
        (await App.EventCountAsync()).ShouldBe(events + 1);
    }

    [Fact]
    public async Task every_event_records_who_appended_it_its_correlation_id_and_its_idempotency_key()
    {
        await GivenParties();

        var response = await Client.SendAsync(Post("/api/statements", Statement, "key-audit", correlationId: "corr-42"));
        response.Headers.GetValues("X-Correlation-Id").ShouldBe(["corr-42"]);
        var created = await response.Content.ReadFromJsonAsync<StatementAppended>();
        var correction = await Client.PostAsJsonAsync($"/api/statements/{created!.Id}/corrections",
            new { expectedVersion = 1, reason = "Typo", quote = "We agree." });
        var generated = correction.Headers.GetValues("X-Correlation-Id").Single();
        generated.ShouldNotBeNullOrWhiteSpace();

        var statement = await Client.GetFromJsonAsync<StatementView>($"/api/statements/{created.Id}");
        statement!.Revisions[0].RecordedBy.ShouldBe(AppFixture.EditorName);
        statement.Revisions[0].CorrelationId.ShouldBe("corr-42");
        statement.Revisions[0].IdempotencyKey.ShouldBe("key-audit");
        statement.Revisions[1].RecordedBy.ShouldBe(AppFixture.EditorName);
        statement.Revisions[1].CorrelationId.ShouldBe(generated);
        statement.Revisions[1].IdempotencyKey.ShouldBeNull();
    }
}

/// <summary>An app with a write limit low enough to reach in a test.</summary>
public sealed class LowRateLimitApp() : AppFixture(["--RateLimits:WritesPerSecond=1", "--RateLimits:WriteBurst=2"]);

public sealed class when_an_editor_writes_too_fast(LowRateLimitApp app) : IClassFixture<LowRateLimitApp>
{
    [Fact]
    public async Task writes_beyond_the_limit_get_429_with_retry_after_and_reads_are_not_limited()
    {
        var responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
            app.Client.PostAsJsonAsync("/api/parties", new { id = $"party-{i}", name = "P" })));

        responses.Count(r => r.StatusCode == HttpStatusCode.Created).ShouldBeInRange(1, 5);
        var limited = responses.First(r => r.StatusCode == HttpStatusCode.TooManyRequests);
        await limited.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests);
        limited.Headers.RetryAfter!.Delta!.Value.TotalSeconds.ShouldBeGreaterThanOrEqualTo(1);
        for (var i = 0; i < 10; i++) (await app.Client.GetAsync("/api/parties")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
