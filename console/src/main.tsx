import { render } from "preact";
import { App } from "./app";
import "./styles.css";

const root = document.getElementById("app");
if (!root) throw new Error("index.html has no #app element to render the console into");
render(<App />, root);
