using JasperFx.CommandLine;
using Marten;
using Npgsql;
using Spectre.Console;
using PositionLedger.Statements;

namespace PositionLedger.Imports;

public sealed class ImportInput : NetCoreInput
{
    [Description("An archive of statements: NDJSON (one per line) or, for a .json file, a JSON array")]
    public string File { get; set; } = "";

    [Description("Statements per batch; each batch is all-or-nothing (default 10000)")]
    public int BatchSizeFlag { get; set; } = 10_000;
}

[Description("Imports an archive of statements in all-or-nothing batches, with progress", Name = "import")]
public sealed class ImportCommand : JasperFxAsyncCommand<ImportInput>
{
    public override async Task<bool> Execute(ImportInput input)
    {
        if (!System.IO.File.Exists(input.File))
        {
            AnsiConsole.MarkupLineInterpolated($"[red]No file {input.File}.[/]");
            return false;
        }
        using var host = input.BuildHost();
        var store = host.Services.GetRequiredService<IDocumentStore>();
        var db = host.Services.GetRequiredService<NpgsqlDataSource>();
        var validator = host.Services.GetRequiredService<StateStatement.Validator>();
        var append = host.Services.GetRequiredService<BulkAppend>();
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        await append.RecoverAsync(CancellationToken.None);

        var file = new FileInfo(input.File);
        int appended = 0, present = 0, batches = 0;
        var failed = false;
        await AnsiConsole.Progress().StartAsync(async progress =>
        {
            var task = progress.AddTask($"Importing {file.Name}", maxValue: file.Length);
            await using var stream = file.OpenRead();
            var batch = new List<ImportLine>(input.BatchSizeFlag);
            await foreach (var line in StatementImport.ReadAsync(stream, file.Extension.Equals(".json", StringComparison.OrdinalIgnoreCase),
                CancellationToken.None))
            {
                batch.Add(line);
                if (batch.Count < input.BatchSizeFlag) continue;
                if (!await ImportBatch()) return;
                task.Value = stream.Position;
            }
            if (batch.Count > 0 && !await ImportBatch()) return;
            task.Value = file.Length;

            async Task<bool> ImportBatch()
            {
                await using var session = store.QuerySession();
                var errors = await StatementImport.ValidateAsync(
                    batch, session, validator, host.Services.GetRequiredService<PositionLedger.Sources.SourceTexts>(),
                    CancellationToken.None);
                if (errors.Count > 0)
                {
                    failed = true;
                    AnsiConsole.MarkupLineInterpolated(
                        $"[red]Batch {batches + 1} has invalid lines; it was not imported (earlier batches were):[/]");
                    foreach (var (key, messages) in errors.Take(20))
                        AnsiConsole.MarkupLineInterpolated($"  {key}: {string.Join(" ", messages)}");
                    return false;
                }
                var report = await StatementImport.AppendAsync(batch, new ImportStamp("import", null, null), append, db,
                    store.Options.Events.DatabaseSchemaName, CancellationToken.None);
                appended += report.Appended;
                present += report.AlreadyPresent;
                batches++;
                batch.Clear();
                return true;
            }
        });
        // The verdict is markup of ours; the counts are values (escaped by the interpolation).
        AnsiConsole.Markup(failed ? "[yellow]Stopped.[/] " : "[green]Imported.[/] ");
        AnsiConsole.MarkupLineInterpolated($"{appended} statements appended, {present} already present, in {batches} batches.");
        return !failed;
    }
}
