using System.Text.Json;
using PositionLedger.Sources;
using PositionLedger.Statements;

namespace PositionLedger.Benchmarks;

/// <summary>
/// A realistic synthetic ledger: parties x issues, statements back-filled over two years, ~10% claims
/// about another party, ~5% later corrected and ~2% retracted, ~80% anchored in the bench's source with every kind
/// of evidence. Deterministic for a seed.
/// </summary>
public sealed class SyntheticLedger(int seed)
{
    /// <summary>The archived source the statements are anchored in: every word once per line, so anchors name their place.</summary>
    public const string SourceId = "bench-wire";

    public static readonly string[] Parties = ["us", "ukraine", "russia", "belarus", "eu", "china", "turkey", "un"];
    public static readonly string[] Issues =
    [
        "ceasefire-30-day", "us-military-aid", "kursk", "zaporizhzhia-npp", "territory", "root-causes",
        "prisoner-exchange", "sanctions", "security-guarantees", "black-sea", "energy-strikes", "elections",
    ];

    private static readonly string[] Words =
        ["ceasefire", "talks", "guarantees", "withdrawal", "sanctions", "peace", "security", "troops", "plant", "aid", "border",
            "agreement", "conditions", "negotiations", "verification"];

    /// <summary>After <see cref="Words"/>: static fields are initialised in the order they are written.</summary>
    public static readonly string SourceText = string.Join('\n', Enumerable.Range(0, 50)
        .Select(line => $"Line {line}: {string.Join(' ', Words)}."));

    private static readonly Stance[] Stances = [.. Enum.GetValues<Stance>()];
    private static readonly DateTimeOffset Start = new(2023, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly Random _random = new(seed);
    private readonly List<(Guid Id, StatementContent Content)> _statements = [];
    private readonly HashSet<Guid> _retracted = [];

    public int Count => _statements.Count;

    public IReadOnlyList<(Guid Id, StatementContent Content)> Statements => _statements;

    /// <summary>The next <paramref name="count"/> statements as NDJSON lines for POST /api/imports.</summary>
    public List<string> NextLines(int count)
    {
        var lines = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            var id = Guid.CreateVersion7();
            var content = NewContent();
            _statements.Add((id, content));
            lines.Add(JsonSerializer.Serialize(new
            {
                id,
                party = content.Party,
                issue = content.Issue,
                stance = content.Stance.Word(),
                speaker = content.Speaker,
                quote = content.Quote,
                statedAt = content.StatedAt.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"),
                source = new { outlet = content.Source.Outlet },
                conditions = content.Conditions,
                claimedBy = content.ClaimedBy is null ? null : new { party = content.ClaimedBy.Party, speaker = content.ClaimedBy.Speaker },
                // As a client sends it: the words and their place; the server checks them and adds the context.
                evidence = content.Evidence is not { } e ? null : new
                {
                    kind = e.Kind,
                    anchors = e.Anchors.Select(a => new { source = a.Source, exact = a.Exact, start = a.Start, end = a.End }),
                },
            }, JsonSerializerOptions.Web).Replace(",\"claimedBy\":null", "", StringComparison.Ordinal)
                .Replace(",\"evidence\":null", "", StringComparison.Ordinal));
        }
        return lines;
    }

    /// <summary>Corrections (about 5%) and retractions (about 2%) of the statements from index <paramref name="from"/> on.</summary>
    public List<object> EditsFor(int from)
    {
        var edits = new List<object>();
        for (var i = from; i < _statements.Count; i++)
        {
            var (id, content) = _statements[i];
            var roll = _random.NextDouble();
            if (roll < 0.05)
            {
                var corrected = _random.Next(3) switch
                {
                    0 => content with { Stance = Pick(Stances[..^1]) },
                    1 => content with { StatedAt = content.StatedAt.AddDays(_random.Next(-30, 30)) },
                    _ => content with { Issue = Pick(Issues) },
                };
                if (corrected.StatedAt > DateTimeOffset.UtcNow) corrected = corrected with { StatedAt = content.StatedAt };
                _statements[i] = (id, corrected);
                edits.Add(new StatementCorrected(id, corrected, ["stance"], "benchmark correction"));
            }
            else if (roll < 0.07)
            {
                _retracted.Add(id);
                edits.Add(new StatementRetracted(id, "benchmark retraction"));
            }
        }
        return edits;
    }

    public DateTimeOffset RandomAsOf() => Start.AddDays(_random.Next(0, 760));

    public string RandomParty() => Pick(Parties);

    private StatementContent NewContent()
    {
        var party = Pick(Parties);
        var claim = _random.NextDouble() < 0.10;
        var stance = _random.NextDouble() < 0.04 ? Stance.Withdraws : Pick(Stances[..^1]);
        var speaker = $"Speaker {_random.Next(200)}";
        var quote = string.Join(' ', Enumerable.Range(0, 12).Select(_ => Pick(Words)));
        var statedAt = Start.AddMinutes(_random.Next(0, 730 * 24 * 60));
        var conditions = _random.Next(5) == 0 ? new[] { "verification", "guarantees" } : [];
        var claimant = claim ? new ClaimedBy(Pick(Parties.Where(p => p != party).ToArray()), "Claimant") : null;
        var evidence = _random.Next(5) == 0 ? null : NewEvidence();
        // A direct quote is the anchored words themselves.
        if (evidence?.Kind == EvidenceKinds.DirectQuote) quote = evidence.Anchors[0].Exact;
        return new StatementContent(
            party, Pick(Issues), stance, speaker, quote, statedAt, false, new Source("Synthetic wire", null, null),
            conditions, claimant, evidence);
    }

    private Evidence NewEvidence()
    {
        var line = _random.Next(50);
        var word = Pick(Words);
        var from = SourceText.IndexOf($"Line {line}: ", StringComparison.Ordinal);
        var at = SourceText.IndexOf($" {word}", from + $"Line {line}:".Length, StringComparison.Ordinal) + 1;
        var (anchor, _) = TextAnchors.Place(SourceId, SourceText, new AnchorInput(SourceId, word, null, null, at, at + word.Length));
        return new Evidence(Pick(EvidenceKinds.Given), [anchor!]);
    }

    private T Pick<T>(T[] items) => items[_random.Next(items.Length)];
}
