using System.Text.Json;
using System.Text.Json.Nodes;
using Marten;
using Microsoft.AspNetCore.Mvc;
using PositionLedger.Infrastructure;
using PositionLedger.Issues;
using PositionLedger.Parties;
using PositionLedger.Sources;
using PositionLedger.Statements;

namespace PositionLedger.Seeding;

public sealed record SeedReport(int Parties, int Issues, int Statements, int AlreadyPresent, int Sources = 0);

/// <summary>
/// Loads every *.json seed file of a folder through the same validation as the API. Seed statements carry
/// their own ids, so loading twice finds them present and appends nothing new.
/// </summary>
public static class Seeder
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    public static async Task<SeedReport> SeedAsync(
        IDocumentStore store, string directory, TimeProvider clock, Action<string> progress, CancellationToken ct)
    {
        var files = Directory.GetFiles(directory, "*.json").Order(StringComparer.Ordinal).ToArray();
        if (files.Length == 0) throw new SeedException($"No *.json seed files in '{directory}'.");

        int parties = 0, issues = 0, statements = 0, present = 0, sources = 0;
        await using var session = store.LightweightSession();
        session.LastModifiedBy = "seed";
        var references = new StatementReferences();
        var texts = new SourceTexts();
        foreach (var file in files)
        {
            progress($"Reading {Path.GetFileName(file)}");
            var root = JsonNode.Parse(await File.ReadAllTextAsync(file, ct))?.AsObject()
                ?? throw new SeedException($"{file}: not a JSON object.");
            var defaultSource = root["source"]?.Deserialize<SourceInput>(Json);

            foreach (var node in root["parties"]?.AsArray() ?? [])
            {
                var command = node.Deserialize<RegisterParty>(Json)!;
                Ensure(Problems.Check(new RegisterParty.Validator(), command), file, $"party {command.Id}");
                if (await session.LoadAsync<Party>(command.Id!, ct) is not null) { present++; continue; }
                session.Events.StartStream<Party>(Party.StreamKey(command.Id!), command.Registered());
                parties++;
            }

            foreach (var node in root["issues"]?.AsArray() ?? [])
            {
                var command = node.Deserialize<OpenIssue>(Json)!;
                Ensure(Problems.Check(new OpenIssue.Validator(), command), file, $"issue {command.Id}");
                if (await session.LoadAsync<Issue>(command.Id!, ct) is not null) { present++; continue; }
                session.Events.StartStream<Issue>(Issue.StreamKey(command.Id!), command.Opened());
                issues++;
            }
            // A source's text is a file beside the seed (textFile), archived as it is; a changed text is refused, not replaced.
            foreach (var node in root["sources"]?.AsArray() ?? [])
            {
                var item = node!.AsObject().DeepClone().AsObject();
                var textFile = item["textFile"]?.GetValue<string>() ?? throw new SeedException($"{file}: every source needs a 'textFile'.");
                item.Remove("textFile");
                item["text"] = await File.ReadAllTextAsync(Path.Combine(directory, textFile), ct);
                var command = item.Deserialize<RegisterSource>(Json)!;
                Ensure(Problems.Check(new RegisterSource.Validator(clock), command), file, $"source {command.Id}");
                if (await session.LoadAsync<ArchivedSource>(command.Id!, ct) is { } archived)
                {
                    if (archived.Sha256 != command.Registered().Sha256)
                        throw new SeedException(
                            $"{file}: source {command.Id} is archived with another text; a changed text is a new source (a new id).");
                    present++;
                    continue;
                }
                session.Events.StartStream<ArchivedSource>(ArchivedSource.StreamKey(command.Id!), command.Registered());
                sources++;
            }
            // Parties, issues and sources must exist before statements name them.
            await session.SaveChangesAsync(ct);

            var validator = new StateStatement.Validator(clock);
            var number = 0;
            foreach (var node in root["statements"]?.AsArray() ?? [])
            {
                number++;
                var item = node!.AsObject().DeepClone().AsObject();
                if (!Guid.TryParse(item["id"]?.GetValue<string>(), out var id))
                    throw new SeedException($"{file}: statement {number} needs an 'id' (a GUID).");
                item.Remove("id");
                var command = item.Deserialize<StateStatement>(Json)!;
                if (command.Source is null) command = command with { Source = defaultSource };
                Ensure(Problems.Check(validator, command), file, $"statement {number} ({id})");
                Ensure(
                    await references.CheckAsync(session, command.Party!, command.Issue!, command.ClaimedBy?.Party, ct),
                    file, $"statement {number} ({id})");
                var (anchoring, evidence) = await EvidenceAnchoring.PlaceAsync(texts, session, command.Evidence, ct);
                Ensure(anchoring, file, $"statement {number} ({id})");
                if (await session.Events.FetchStreamStateAsync(id.ToString(), ct) is not null) { present++; continue; }
                session.Events.StartStream<Statement>(id.ToString(), new PositionStated(id, command.ToContent(evidence)));
                statements++;
            }
            await session.SaveChangesAsync(ct);
            progress($"Loaded {Path.GetFileName(file)}");
        }
        return new SeedReport(parties, issues, statements, present, sources);
    }

    private static void Ensure(ProblemDetails problem, string file, string what)
    {
        if (!problem.IsProblem()) return;
        var errors = problem is HttpValidationProblemDetails v
            ? string.Join("; ", v.Errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}"))
            : problem.Detail;
        throw new SeedException($"{Path.GetFileName(file)}, {what}: {errors}");
    }
}

public sealed class SeedException(string message) : Exception(message);
