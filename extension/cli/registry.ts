// Registers every subcommand. One import per command file (each calls register()).
import './layout';
