using JasperFx;
using JasperFx.CommandLine;
using PositionLedger;

var app = PositionLedgerApp.Build(args);
// JasperFx prints "Searching '<assembly>' for commands" for each extension assembly until its extensions count as
// applied, which a WebApplication's host never marks. An empty factory's ApplyExtensions only sets that mark; the
// commands of Marten and Wolverine are still found (`help` lists them). Check the output after a JasperFx upgrade.
new CommandFactory().ApplyExtensions(new ServiceCollection());
return await app.RunJasperFxCommands(args);

public partial class Program;
