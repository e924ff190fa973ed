// Registers every subcommand. One import per command file (each calls register()).
import './layout';
import './shapes';
import './comms';
import './check';
import './demo';
import './run';
import './trace';
import './calibrate';
