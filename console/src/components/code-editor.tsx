import { javascript } from "@codemirror/lang-javascript";
import { EditorState } from "@codemirror/state";
import { EditorView } from "@codemirror/view";
import { basicSetup } from "codemirror";
import { useEffect, useRef } from "preact/hooks";

/** The Content-Security-Policy nonce the server gave this page, for the editor's <style> elements. */
const cspNonce = document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content ?? "";

/**
 * A JavaScript editor (CodeMirror 6). Uncontrolled: `initialValue` seeds it and edits are reported
 * through `onChange` (feeding the text back would race with typing); to load other code, remount it
 * with another `key`. Tab is left to move focus, so keyboard users are never trapped in it.
 */
export function CodeEditor(props: {
  label: string;
  initialValue: string;
  onChange: (value: string) => void;
}) {
  const host = useRef<HTMLDivElement>(null);
  const onChange = useRef(props.onChange);
  onChange.current = props.onChange;

  useEffect(() => {
    const editor = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: props.initialValue,
        extensions: [
          basicSetup,
          javascript(),
          EditorView.cspNonce.of(cspNonce),
          EditorView.contentAttributes.of({ "aria-label": props.label }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) onChange.current(update.state.doc.toString());
          }),
        ],
      }),
    });
    return () => editor.destroy();
  }, []);

  return <div class="code-editor" ref={host} data-testid="code-editor" />;
}
