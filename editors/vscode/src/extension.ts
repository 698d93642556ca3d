// The froyo extension: starts `froyo lsp` for CUE and Starlark files and
// hands everything else (diagnostics, completion, hover, navigation,
// formatting, code actions, semantic tokens, inlay hints) to the server.
import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, ServerOptions } from "vscode-languageclient/node";

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const command = vscode.workspace.getConfiguration("froyo").get<string>("path", "froyo");
  const serverOptions: ServerOptions = { command, args: ["lsp"] };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "cue" },
      { scheme: "file", language: "starlark" },
    ],
  };
  client = new LanguageClient("froyo", "froyo", serverOptions, clientOptions);
  context.subscriptions.push(
    vscode.commands.registerCommand("froyo.restartServer", async () => {
      await client?.restart();
    }),
  );
  await client.start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
