import "@saleor/macaw-ui/style";
import { ThemeProvider } from "@saleor/macaw-ui";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { initialTheme } from "./bridge";
import "./styles.css";

// The native controls (date pickers, selects, scroll bars) follow the theme from
// the first paint; App keeps this in step when the Dashboard switches theme.
document.documentElement.dataset.theme = initialTheme;

createRoot(document.getElementById("root")!).render(
  <ThemeProvider defaultTheme={initialTheme === "dark" ? "defaultDark" : "defaultLight"}>
    <App />
  </ThemeProvider>,
);
