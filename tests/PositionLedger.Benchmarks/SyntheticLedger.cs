using System.Text.Json;
using PositionLedger.Statements;

namespace PositionLedger.Benchmarks;

/// <summary>
/// A realistic synthetic ledger: parties x issues, statements back-filled over two years, ~10% claims
/// about another party, ~5% later corrected and ~2% retracted. Deterministic for a seed.
/// </summary>
public sealed class SyntheticLedger(int seed)
{
    public static readonly string[] Parties = ["us", "ukraine", "russia", "belarus", "eu", "china", "turkey", "un"];
    public static readonly string[] Issues =
    [
        "ceasefire-30-day", "us-military-aid", "kursk", "zaporizhzhia-npp", "territory", "root-causes",
        "prisoner-exchange", "sanctions", "security-guarantees", "black-sea", "energy-strikes", "elections",
    ];

    private static readonly string[] Words =
        ["ceasefire", "talks", "guarantees", "withdrawal", "sanctions", "peace", "security", "troops", "plant", "aid", "border",
            "agreement", "conditions", "negotiations", "verification"];

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
            }, JsonSerializerOptions.Web).Replace(",\"claimedBy\":null", "", StringComparison.Ordinal));
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
        return new StatementContent(
            party, Pick(Issues), stance,
            $"Speaker {_random.Next(200)}",
            string.Join(' ', Enumerable.Range(0, 12).Select(_ => Pick(Words))),
            Start.AddMinutes(_random.Next(0, 730 * 24 * 60)), false,
            new Source("Synthetic wire", null, null),
            _random.Next(5) == 0 ? ["verification", "guarantees"] : [],
            claim ? new ClaimedBy(Pick(Parties.Where(p => p != party).ToArray()), "Claimant") : null);
    }

    private T Pick<T>(T[] items) => items[_random.Next(items.Length)];
}
