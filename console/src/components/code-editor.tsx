import { useEffect, useRef, useState } from "preact/hooks";

/** The Content-Security-Policy nonce the server gave this page, for the editor's <style> elements. */
const cspNonce = () => document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content ?? "";

/** CodeMirror with JavaScript, loaded when an editor is first shown: most pages never need it. */
async function loadCodeMirror() {
  const [{ javascript }, { EditorState }, { EditorView }, { basicSetup }] = await Promise.all([
    import("@codemirror/lang-javascript"),
    import("@codemirror/state"),
    import("@codemirror/view"),
    import("codemirror"),
  ]);
  return { javascript, EditorState, EditorView, basicSetup };
}

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
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    let destroy: (() => void) | undefined;
    let cancelled = false;
    loadCodeMirror().then(
      ({ javascript, EditorState, EditorView, basicSetup }) => {
        // The host is mounted until the effect is cleaned up, which sets `cancelled`.
        if (cancelled || !host.current) return;
        const editor = new EditorView({
          parent: host.current,
          state: EditorState.create({
            doc: props.initialValue,
            extensions: [
              basicSetup,
              javascript(),
              EditorView.cspNonce.of(cspNonce()),
              EditorView.contentAttributes.of({ "aria-label": props.label }),
              EditorView.updateListener.of((update) => {
                if (update.docChanged) onChange.current(update.state.doc.toString());
              }),
            ],
          }),
        });
        destroy = () => editor.destroy();
      },
      () => setFailed(true),
    );
    return () => {
      cancelled = true;
      destroy?.();
    };
  }, []);

  return (
    <>
      {/* CodeMirror owns this element's children: nothing rendered here goes inside it. */}
      <div class="code-editor" ref={host} data-testid="code-editor" />
      {failed && (
        <p class="banner banner-error" role="alert">
          The code editor could not be loaded; reload the page.
        </p>
      )}
    </>
  );
}
