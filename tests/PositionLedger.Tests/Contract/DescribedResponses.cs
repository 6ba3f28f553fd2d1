using System.Net;
using System.Text.Json.Nodes;
using PositionLedger.Reviews;
using PositionLedger.Seeding;
using PositionLedger.Tests.Infrastructure;

namespace PositionLedger.Tests.Contract;

/// <summary>
/// A client generated from /openapi/v1.json trusts it: what it sends is what the description shows, and what comes
/// back is what the description says. Every request here is built from the served description (its examples, or
/// values generated from its parameter and body schemas), sent to the real host, and every response, 2xx and 4xx,
/// is checked against the description (<see cref="ServedDescription.CheckAsync"/>).
/// </summary>
public sealed class when_clients_call_the_api_as_described(AppFixture app) : ApiTest(app)
{
    /// <summary>Writes whose examples the others need, in that order: a statement's party, issue and source exist first.</summary>
    private static readonly string[] CreatingWrites = ["/api/parties", "/api/issues", "/api/sources", "/api/statements", "/api/imports"];

    private const string StatementRoute = "/api/statements";

    private async Task<ServedDescription> GivenTheSeedLedgerAndTheDescription()
    {
        await Seeder.SeedAsync(App.Store, Repository.Seeds, TimeProvider.System, _ => { }, CancellationToken.None);
        return await ServedDescription.ReadAsync(Client);
    }

    [Fact]
    public async Task the_descriptions_own_examples_are_accepted_and_answered_as_described()
    {
        var spec = await GivenTheSeedLedgerAndTheDescription();

        foreach (var path in CreatingWrites)
        {
            var operation = spec.Operation("POST", path);
            foreach (var (mediaType, media) in operation.Body!)
            {
                var example = media!["example"].ShouldNotBeNull($"{operation} shows no example of {mediaType}");
                var body = example is JsonValue text && text.TryGetValue<string>(out var raw) ? raw : example.ToJsonString();
                using var response = await Client.SendAsync(operation.Request(new Dictionary<string, string>(), body, mediaType));
                await spec.CheckAsync(operation, response);
                ((int)response.StatusCode).ShouldBeInRange(200, 299, $"{operation} refused its own {mediaType} example");
            }
        }
        foreach (var path in new[] { "/api/statements/{id}/corrections", "/api/statements/{id}/retraction" })
        {
            var operation = spec.Operation("POST", path);
            var statement = await NewStatementAsync(spec);
            using var response = await Client.SendAsync(operation.Request(
                new Dictionary<string, string> { ["id"] = statement }, operation.Body!["application/json"]!["example"]!.ToJsonString()));
            await spec.CheckAsync(operation, response);
            response.StatusCode.ShouldBe(HttpStatusCode.OK, $"{operation} refused its own example");
        }

        var statementId = await NewStatementAsync(spec);
        var proposalId = await NewProposalAsync();
        foreach (var operation in spec.Operations.Where(o => o.Method == "GET"))
        {
            var values = operation.Parameters
                .Select(p => (Name: (string)p["name"]!, Value: (string)p["in"]! == "path" && (string)p["name"]! == "id"
                    && operation.Path.StartsWith(StatementRoute, StringComparison.Ordinal) ? statementId
                    : (string)p["name"]! == "proposal" ? proposalId : DescribedOperation.Example(p)))
                .Where(p => p.Value is not null)
                .ToDictionary(p => p.Name, p => p.Value!);
            await SendAndCheckAsync(spec, operation, values, HttpStatusCode.OK);
        }
    }

    [Fact]
    public async Task every_read_answers_values_generated_from_its_parameter_schemas_as_described()
    {
        var spec = await GivenTheSeedLedgerAndTheDescription();
        var statementId = await NewStatementAsync(spec);
        var proposalId = await NewProposalAsync();

        foreach (var operation in spec.Operations.Where(o => o.Method == "GET"))
        {
            var values = new Dictionary<string, string>();
            foreach (var parameter in operation.Parameters.Where(p => (string)p["in"]! != "header"))
            {
                var name = (string)parameter["name"]!;
                var value = name == "proposal" ? proposalId : (string?)parameter["schema"]!["format"] == "uuid" ? statementId : Generated(parameter);
                if (value is not null) values[name] = value;
            }
            await SendAndCheckAsync(spec, operation, values, HttpStatusCode.OK);

            // Only what is required: every other parameter is optional as described.
            var required = operation.Parameters.Where(p => (bool?)p["required"] == true)
                .Select(p => (string)p["name"]!).ToHashSet();
            await SendAndCheckAsync(spec, operation, values.Where(v => required.Contains(v.Key)).ToDictionary(), HttpStatusCode.OK);
        }
    }

    [Fact]
    public async Task every_query_value_outside_its_schema_is_a_described_400_naming_it()
    {
        var spec = await GivenTheSeedLedgerAndTheDescription();
        var statementId = await NewStatementAsync(spec);
        var proposalId = await NewProposalAsync();
        var checkedValues = 0;

        foreach (var operation in spec.Operations.Where(o => o.Method == "GET"))
        {
            var valid = operation.Parameters
                .Where(p => (string)p["in"]! == "path" || (bool?)p["required"] == true)
                .ToDictionary(p => (string)p["name"]!, p => (string)p["name"]! == "proposal" ? proposalId
                    : (string?)p["schema"]!["format"] == "uuid" ? statementId : Generated(p)!);
            foreach (var parameter in operation.Parameters.Where(p => (string)p["in"]! is "query" or "header"))
            {
                var name = (string)parameter["name"]!;
                foreach (var wrong in Invalid(parameter["schema"]!.AsObject()))
                {
                    using var response = await Client.SendAsync(
                        operation.Request(new Dictionary<string, string>(valid) { [name] = wrong }));
                    var problem = await spec.CheckAsync(operation, response);
                    response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, $"{operation} with {name}={wrong}");
                    problem!["errors"]!.AsObject().Select(e => e.Key)
                        .ShouldContain(name, $"{operation} with {name}={wrong}: {problem}");
                    checkedValues++;
                }
            }
            foreach (var parameter in operation.Parameters.Where(p => (string)p["in"]! == "path"))
            {
                // A path value out of its pattern: a 400 or a 404, as described.
                using var response = await Client.SendAsync(operation.Request(
                    new Dictionary<string, string>(valid) { [(string)parameter["name"]!] = "Not A Slug!" }));
                await spec.CheckAsync(operation, response);
                ((int)response.StatusCode).ShouldBeOneOf(400, 404);
            }
        }
        checkedValues.ShouldBeGreaterThan(20);
    }

    [Fact]
    public async Task every_write_names_each_required_field_it_misses_and_no_optional_one()
    {
        var spec = await GivenTheSeedLedgerAndTheDescription();
        var acceptedMinimal = new List<string>();

        foreach (var operation in spec.Operations.Where(o => o.Method == "POST"))
        {
            var writer = WriterFor(operation);
            var values = new Dictionary<string, string>();
            if (operation.Path.Contains("{id}", StringComparison.Ordinal)) values["id"] = await NewStatementAsync(spec);
            if (operation.Path.Contains("{proposal}", StringComparison.Ordinal)) values["proposal"] = await NewProposalAsync();
            var schema = Resolve(spec, operation.Body!["application/json"]!["schema"]!);
            var isList = (string?)schema["type"] == "array";
            var item = isList ? Resolve(spec, schema["items"]!) : schema;
            var prefix = isList ? "line 1." : "";

            // Nothing given: each required field is named (a write with none, an approval, takes it as it is).
            using (var empty = await writer.SendAsync(operation.Request(values, isList ? "[{}]" : "{}")))
            {
                var problem = await spec.CheckAsync(operation, empty);
                if (!Required(item).Any())
                {
                    ((int)empty.StatusCode).ShouldBeInRange(200, 299, $"{operation}: {problem}");
                    values["proposal"] = await NewProposalAsync();
                }
                else
                {
                    empty.StatusCode.ShouldBe(HttpStatusCode.BadRequest, operation.ToString());
                    var named = problem!["errors"]!.AsObject().Select(e => e.Key).ToList();
                    foreach (var field in Required(item)) named.ShouldContain(prefix + field, $"{operation}: {problem}");
                }
            }

            // The example with every optional field left out: no error names a field the description calls optional.
            var example = operation.Body!["application/json"]!["example"]!.DeepClone();
            var removed = new List<string>();
            JsonNode minimal = isList
                ? new JsonArray(Minimal(spec, item, example[0]!.AsObject(), "", removed))
                : Minimal(spec, item, example.AsObject(), "", removed);
            using var response = await writer.SendAsync(operation.Request(values, minimal.ToJsonString()));
            var answer = await spec.CheckAsync(operation, response);
            if (response.StatusCode == HttpStatusCode.BadRequest)
            {
                var named = answer!["errors"]!.AsObject().Select(e => e.Key).ToList();
                named.Intersect(removed.Select(r => prefix + r))
                    .ShouldBeEmpty($"{operation} requires what its description calls optional: {answer}");
            }
            else
            {
                ((int)response.StatusCode).ShouldBeInRange(200, 299, $"{operation} with {minimal.ToJsonString()}");
                acceptedMinimal.Add(operation.Path);
            }
        }
        // With only the required fields, every write is accepted but a correction (which then changes nothing).
        acceptedMinimal.ShouldBe(["/api/parties", "/api/issues", "/api/sources", "/api/statements", "/api/imports",
            "/api/statements/{id}/retraction", "/api/reviews/{proposal}/approve", "/api/reviews/{proposal}/reject"], ignoreOrder: true);
    }

    [Fact]
    public async Task writes_without_a_key_and_conditional_reads_are_answered_as_described()
    {
        var spec = await GivenTheSeedLedgerAndTheDescription();

        spec.Operations.Count(o => o.NeedsKey).ShouldBeGreaterThanOrEqualTo(7);
        foreach (var operation in spec.Operations.Where(o => o.NeedsKey))
        {
            using var response = await App.Anonymous.SendAsync(operation.Request(
                new Dictionary<string, string> { ["id"] = Guid.NewGuid().ToString() }, "{}"));
            await spec.CheckAsync(operation, response);
            response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized, operation.ToString());
        }

        var conditional = spec.Operations.Where(o => o.Parameters.Any(p => (string)p["name"]! == "If-None-Match")).ToList();
        conditional.Count.ShouldBeGreaterThanOrEqualTo(4);
        foreach (var operation in conditional)
        {
            var values = operation.Parameters.Select(p => (Name: (string)p["name"]!, Value: DescribedOperation.Example(p)))
                .Where(p => p.Value is not null).ToDictionary(p => p.Name, p => p.Value!);
            values["knownAt"] = "2025-03-20";
            using var first = await Client.SendAsync(operation.Request(values));
            await spec.CheckAsync(operation, first);
            first.Headers.ETag.ShouldNotBeNull(operation.ToString());
            values["If-None-Match"] = first.Headers.ETag.ToString();
            using var again = await Client.SendAsync(operation.Request(values));
            await spec.CheckAsync(operation, again);
            again.StatusCode.ShouldBe(HttpStatusCode.NotModified, operation.ToString());
        }
    }

    // ---------------------------------------------------------------- requests from the description

    private async Task SendAndCheckAsync(
        ServedDescription spec, DescribedOperation operation, Dictionary<string, string> values, HttpStatusCode expected)
    {
        using var request = operation.Request(values);
        // The live feed never ends: its status and media type are what a client can check.
        var streams = operation.Spec["responses"]!["200"]!["content"]?.AsObject().ContainsKey("text/event-stream") == true;
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel.Token);
        await spec.CheckAsync(operation, response, readBody: !streams);
        response.StatusCode.ShouldBe(expected, $"{operation} with {string.Join('&', values.Select(v => $"{v.Key}={v.Value}"))}");
    }

    /// <summary>A new statement from the description's own example; its id.</summary>
    /// <summary>A pending proposal of the editor's, stored as the review workflow stores one (this app does not require review).</summary>
    private async Task<string> NewProposalAsync()
    {
        var id = Guid.CreateVersion7();
        var stated = Scenario.Stated("russia", "ceasefire-30-day", PositionLedger.Statements.Stance.Rejects, "2025-03-14");
        await using var session = App.Store.LightweightSession();
        session.Events.StartStream<Proposal>(Proposal.StreamKey(id), new ChangeProposed(id, stated.StatementId, 0, AppFixture.EditorName, stated));
        await session.SaveChangesAsync();
        return id.ToString();
    }

    /// <summary>The review routes are a verifier's to write; every other write is an editor's.</summary>
    private HttpClient WriterFor(DescribedOperation operation) =>
        operation.Path.StartsWith("/api/reviews", StringComparison.Ordinal) ? App.Verifier : Client;

    private async Task<string> NewStatementAsync(ServedDescription spec)
    {
        var operation = spec.Operation("POST", StatementRoute);
        using var response = await Client.SendAsync(operation.Request(
            new Dictionary<string, string>(), operation.Body!["application/json"]!["example"]!.ToJsonString()));
        var created = await spec.CheckAsync(operation, response);
        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        return (string)created!["id"]!;
    }

    /// <summary>A value the parameter's schema admits, generated from the schema (its example where only that can say which).</summary>
    private static string? Generated(JsonObject parameter)
    {
        var schema = parameter["schema"]!.AsObject();
        var minimum = (long?)schema["minimum"];
        var maximum = (long?)schema["maximum"];
        return ((string?)schema["type"], (string?)schema["format"], (string?)schema["pattern"]) switch
        {
            ("array", _, _) => string.Join(',', schema["items"]!["enum"]!.AsArray().Select(v => (string)v!)),
            ("integer", _, _) => Math.Min(Math.Max(minimum ?? 0, 1), maximum ?? long.MaxValue)
                .ToString(System.Globalization.CultureInfo.InvariantCulture),
            (_, "date", _) => "2025-03-13",
            (_, _, { } pattern) when pattern.StartsWith(@"^\d{4}", StringComparison.Ordinal) => "2025-03-13T12:00:00+01:00",
            _ => DescribedOperation.Example(parameter),
        };
    }

    /// <summary>Values a parameter's schema refuses.</summary>
    private static IEnumerable<string> Invalid(JsonObject schema)
    {
        switch ((string?)schema["type"], (string?)schema["format"], (string?)schema["pattern"])
        {
            case ("integer", _, _):
                yield return "twelve";
                yield return ((long?)schema["minimum"] ?? 0) - 1 + "";
                if ((long?)schema["maximum"] is { } maximum) yield return maximum + 1 + "";
                break;
            case ("array", _, _):
                yield return "rumour";
                break;
            case (_, "date", _):
                yield return "2025-02-30";
                break;
            case (_, _, { } pattern) when pattern.StartsWith(@"^\d{4}", StringComparison.Ordinal):
                yield return "13/03/2025";
                yield return "2025-03-13T12:00:00";
                break;
        }
    }

    private static JsonObject Resolve(ServedDescription spec, JsonNode schema) =>
        schema["$ref"] is { } reference
            ? spec.Document["components"]!["schemas"]![((string)reference!).Split('/')[^1]]!.AsObject()
            : schema.AsObject();

    private static IEnumerable<string> Required(JsonObject schema) =>
        schema["required"]?.AsArray().Select(r => (string)r!) ?? [];

    /// <summary>
    /// The example with every property its schema does not require left out (within nested objects too); where the
    /// schema asks for one of several (anyOf required), the first the example has stays. Collects what it left out.
    /// </summary>
    private static JsonObject Minimal(ServedDescription spec, JsonObject schema, JsonObject example, string path, List<string> removed)
    {
        var keep = Required(schema).ToHashSet();
        var alternatives = schema["anyOf"]?.AsArray().Select(a => Required(a!.AsObject()).ToList()) ?? [];
        if (alternatives.FirstOrDefault(required => required.All(example.ContainsKey)) is { } alternative)
            keep.UnionWith(alternative);
        var minimal = new JsonObject();
        foreach (var (name, value) in example)
        {
            if (!keep.Contains(name))
            {
                removed.Add(path + name);
                continue;
            }
            var property = schema["properties"]?[name];
            minimal[name] = value is JsonObject nested && property?["$ref"] is not null
                ? Minimal(spec, Resolve(spec, property), nested, $"{path}{name}.", removed)
                : value!.DeepClone();
        }
        return minimal;
    }
}
