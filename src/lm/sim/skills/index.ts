// Registers every SimLM skill: import a system's skill file here to make its skills routable.
import "./meta";
import "./toy";
