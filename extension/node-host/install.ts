// Imported first by every Node entry point (CLI, extension engine, runtime child) and by the tests: the
// engine's file access goes through Node's fs.
import { installHostFiles } from '../core/host/files';
import { nodeHostFiles } from './files';

installHostFiles(nodeHostFiles);
import './catalog';
