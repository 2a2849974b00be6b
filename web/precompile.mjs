// Build-time helper (see precompile.py), run by Node: start Pyodide from the npm package, put the wheels on
// sys.path as the page does, import what the playground and its examples import, then write the standard
// library's zip and each wheel with bytecode (bytecode.py) into the output folder, under their own names.
// Usage: node precompile.mjs PYODIDE_DIR OUT_DIR RUNNER_PY BYTECODE_PY WHEEL...
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [pyodideDir, outDir, runnerPath, bytecodePath, ...wheels] = process.argv.slice(2);

async function main() {
  const { loadPyodide } = await import(pathToFileURL(path.join(pyodideDir, "pyodide.mjs")).href);
  const pyodide = await loadPyodide({ indexURL: pyodideDir + path.sep });
  const tools = pyodide.globals.get("dict")();
  pyodide.runPython(fs.readFileSync(bytecodePath, "utf8"), { globals: tools, filename: "bytecode.py" });
  // As playground.js installs them, so that each module's file name is the same there.
  const sitePackages = pyodide.runPython("__import__('site').getsitepackages()[0]");
  const archives = wheels.map((wheel) => `${sitePackages}/${path.basename(wheel)}`);
  wheels.forEach((wheel, i) => pyodide.FS.writeFile(archives[i], new Uint8Array(fs.readFileSync(wheel))));
  pyodide.pyimport("sys").path.extend(pyodide.toPy(archives));
  pyodide.runPython(fs.readFileSync(runnerPath, "utf8"), { globals: pyodide.globals.get("dict")() });
  pyodide.runPython("import nn, nn.data, nn.training");  // what the examples import: compiled, imported later

  const stdlib = pyodide.runPython("next(p for p in __import__('sys').path if p.endswith('.zip'))");
  const compile = tools.get("with_bytecode");
  fs.writeFileSync(path.join(outDir, "python_stdlib.zip"), compile(stdlib, false).toJs());
  archives.forEach((archive, i) => {
    fs.writeFileSync(path.join(outDir, path.basename(wheels[i])), compile(archive, true).toJs());
  });
}

// Node's own report of an uncaught error prints Pyodide's whole minified source line: print the message only.
main().catch((error) => {
  process.stderr.write(String(error.message ?? error) + "\n");
  process.exit(1);
});
